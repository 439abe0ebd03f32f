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

#[test]
fn custom_tables_execute_but_are_not_provable_yet() {
    let tables = Tables::from_file(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../guest-examples/plugins/swish.json"),
    )
    .unwrap();
    let model = Model::load_with(
        dir("custom_swish").join("network.onnx"),
        &LoadOptions {
            tables: Some(Arc::new(tables)),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let run = model.run(&input("custom_swish")).unwrap();
    assert_eq!(run.outputs.output_data[0].len(), 10);
    match model.setup() {
        Err(e @ AtlasError::NotProvable { .. }) => {
            assert!(e.to_string().contains("Lookup"), "{e}");
            assert_eq!(e.exit_code(), exit::NOT_PROVABLE);
        }
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("custom tables are proven now: update this test and the README"),
    }
}
