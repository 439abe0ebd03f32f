//! The SDK's proofs end to end: `Model::setup`, `ProvingKey::prove`, `VerifyingKey::verify`,
//! through their byte encodings, with the typed errors a caller branches on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use atlas_host::error::exit;
use atlas_host::{
    AtlasError, InputData, LoadOptions, Model, Proof, ProvingKey, Tables, VerifyingKey,
};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest-examples/models")
        .join(name)
}

fn input(name: &str) -> InputData {
    InputData::from_file(&dir(name).join("input.json")).unwrap()
}

#[test]
fn mlp_round_trip_through_bytes() {
    let model = Model::load(dir("mlp").join("network.onnx")).unwrap();
    let input = input("mlp");
    let (pk, vk) = model.setup().unwrap();
    let (proof, output) = pk.prove(&input).unwrap();
    // The proven outputs are the VM's.
    let run = model.run(&input).unwrap();
    assert_eq!(output.output_data, run.outputs.output_data);
    assert_eq!(output.output_quantized.as_ref(), Some(&run.quantized));

    // Keys and proof survive their encodings.
    let pk = ProvingKey::from_bytes(&pk.to_bytes()).unwrap();
    let vk = VerifyingKey::from_bytes(&vk.to_bytes()).unwrap();
    let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();
    vk.verify(&input, &output, &proof).unwrap();
    assert_eq!(pk.verifying_key().to_bytes(), vk.to_bytes());

    // Another claimed output is rejected.
    let mut wrong = output.clone();
    let q = wrong.output_quantized.as_mut().unwrap();
    q[0][0] += 1;
    wrong.output_data[0][0] = rescaled(&output, q[0][0]);
    let e = vk.verify(&input, &wrong, &proof).unwrap_err();
    assert!(matches!(e, AtlasError::Rejected(_)), "{e}");
    assert_eq!(e.exit_code(), exit::REJECTED);

    // A proving key is not a verifying key, and the error says so.
    let e = VerifyingKey::from_bytes(&pk.to_bytes()).unwrap_err();
    assert!(matches!(e, AtlasError::Artifact { .. }), "{e}");
    assert!(e.to_string().contains("proving key"), "{e}");
}

/// `output_data[0][0]` rescaled to the integer `q` at the same (power-of-two) scale.
fn rescaled(output: &atlas_host::OutputData, q: i64) -> f64 {
    let old = output.output_quantized.as_ref().unwrap()[0][0];
    output.output_data[0][0] / old as f64 * q as f64
}

fn swish_plugin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-examples/plugins/swish.json")
}

/// `custom_swish` compiled with the tables of `tables`.
fn custom_swish(tables: Tables) -> Model {
    Model::load_with(
        dir("custom_swish").join("network.onnx"),
        &LoadOptions {
            tables: Some(Arc::new(tables)),
            ..LoadOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn custom_tables_prove_and_verify() {
    let model = custom_swish(Tables::from_file(swish_plugin()).unwrap());
    // The program carries the table's values on its whole domain, [-8, 8] at scale 12: the
    // plug-in's.
    let values = &model.program().custom_tables["swish"];
    assert_eq!(values.len(), (16 << 12) + 1);
    let plugin = Tables::from_file(swish_plugin()).unwrap();
    for (i, v) in values.iter().enumerate().step_by(97) {
        let x = i as i64 - (8 << 12);
        assert_eq!(*v, plugin.registry().eval("swish", x).unwrap(), "at {x}");
    }
    let input = input("custom_swish");
    let run = model.run(&input).unwrap();
    assert_eq!(run.outputs.output_data[0].len(), 10);

    let (pk, vk) = model.setup().unwrap();
    // The keys need no plug-in: they survive their encodings and prove on their own.
    let pk = ProvingKey::from_bytes(&pk.to_bytes()).unwrap();
    let vk = VerifyingKey::from_bytes(&vk.to_bytes()).unwrap();
    let (proof, output) = pk.prove(&input).unwrap();
    assert_eq!(output.output_quantized.as_ref(), Some(&run.quantized));
    let proof = Proof::from_bytes(&proof.to_bytes()).unwrap();
    vk.verify(&input, &output, &proof).unwrap();
    // A wrong output is rejected.
    let mut wrong = output.clone();
    let q = wrong.output_quantized.as_mut().unwrap();
    q[0][0] += 1;
    wrong.output_data[0][0] = rescaled(&output, q[0][0]);
    assert!(matches!(
        vk.verify(&input, &wrong, &proof),
        Err(AtlasError::Rejected(_))
    ));

    // The same table with one value changed (an explicit-values plug-in): a verifying key set
    // up with it rejects the proof made with the original.
    let mut other = values.clone();
    other[values.len() / 2 + 100] += 1;
    let json = format!(
        "{{\"tables\": [{{\"name\": \"swish\", \"domain\": \"atlas.custom\", \
         \"op_type\": \"Swish\", \"in_scale\": 12, \"out_scale\": 12, \
         \"range_q\": [{}, {}], \"values\": {other:?}}}]}}",
        -(8 << 12),
        8 << 12
    );
    let model_b = custom_swish(Tables::from_json_str(&json).unwrap());
    let values_b = &model_b.program().custom_tables["swish"];
    assert_eq!(
        values_b.iter().zip(values).filter(|(a, b)| a != b).count(),
        1
    );
    let (pk_b, vk_b) = model_b.setup().unwrap();
    let e = vk_b.verify(&input, &output, &proof).unwrap_err();
    assert!(matches!(e, AtlasError::Rejected(_)), "{e}");
    assert_eq!(e.exit_code(), exit::REJECTED);
    // Each key accepts its own proofs only.
    let (proof_b, output_b) = pk_b.prove(&input).unwrap();
    vk_b.verify(&input, &output_b, &proof_b).unwrap();
    assert!(vk.verify(&input, &output_b, &proof_b).is_err());
}
