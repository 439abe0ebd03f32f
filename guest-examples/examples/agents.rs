//! Two agents that trust proofs, not each other.
//!
//! ```sh
//! cargo run --release -p atlas-guest-examples --example agents
//! ```
//!
//! The *classifier* agent runs a model (the example CNN) on an image, proves the execution and
//! sends its decision as a message: the input, the outputs (`output.json`'s form), the proof
//! bytes and the verifying-key bytes. The *actuator* agent acts only on decisions it can check:
//! it pins the verifying key it was given when the model was published (a key of another model
//! would prove another computation), verifies the proof against the input and the claimed
//! outputs, and only then takes the argmax as the class. A decision tampered with in transit —
//! here, a relay that swaps the winning class — is refused.
//!
//! The agents talk over a channel between two threads; any transport that carries bytes works
//! the same way.

use std::sync::mpsc;

use atlas_guest_examples::{argmax, model_dir};
use atlas_host::{AtlasError, InputData, Model, OutputData, Proof, VerifyingKey};

/// What the classifier sends.
#[derive(Clone)]
struct Decision {
    input: InputData,
    output: OutputData,
    proof: Vec<u8>,
    vk: Vec<u8>,
}

/// The actuator's verdict on one message.
enum Verdict {
    /// Verified: the class the model chose.
    Act(usize),
    /// Refused, with the reason.
    Refuse(String),
}

/// The actuator: holds the verifying key published with the model.
struct Actuator {
    pinned_vk: Vec<u8>,
    vk: VerifyingKey,
}

impl Actuator {
    fn new(published_vk: &[u8]) -> Result<Self, AtlasError> {
        Ok(Self {
            pinned_vk: published_vk.to_vec(),
            vk: VerifyingKey::from_bytes(published_vk)?,
        })
    }

    fn judge(&self, d: &Decision) -> Verdict {
        if d.vk != self.pinned_vk {
            return Verdict::Refuse("signed by another model's key".into());
        }
        let checked = Proof::from_bytes(&d.proof)
            .and_then(|proof| self.vk.verify(&d.input, &d.output, &proof));
        match checked {
            Ok(()) => Verdict::Act(argmax(&d.output.output_data[0])),
            Err(e) => Verdict::Refuse(e.to_string()),
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = model_dir("cnn");
    // Publication: the model's owner sets it up once and publishes the verifying key.
    let model = Model::load(dir.join("network.onnx"))?;
    let (pk, vk) = model.setup()?;
    let published_vk = vk.to_bytes();
    println!(
        "published the verifying key of {} ({} bytes)",
        dir.display(),
        published_vk.len()
    );

    let (to_actuator, inbox) = mpsc::channel::<Decision>();
    let input = InputData::from_file(&dir.join("input.json"))?;

    // The classifier agent: prove the decision and send it (twice: once honestly, once through
    // a relay that swaps the two top classes).
    let vk_bytes = published_vk.clone();
    let classifier = std::thread::spawn(move || -> Result<(), AtlasError> {
        let (proof, output) = pk.prove(&input)?;
        let honest = Decision {
            input,
            output,
            proof: proof.to_bytes(),
            vk: vk_bytes,
        };
        println!(
            "classifier: class {} (proof {} bytes)",
            argmax(&honest.output.output_data[0]),
            honest.proof.len()
        );
        let mut tampered = honest.clone();
        let logits = &mut tampered.output.output_data[0];
        let top = argmax(logits);
        let runner_up = (0..logits.len())
            .filter(|&i| i != top)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .expect("ten logits");
        logits.swap(top, runner_up);
        if let Some(q) = tampered.output.output_quantized.as_mut() {
            q[0].swap(top, runner_up);
        }
        // A send fails only if the actuator is gone, which ends the example anyway.
        let _ = to_actuator.send(honest);
        let _ = to_actuator.send(tampered);
        Ok(())
    });

    // The actuator agent.
    let actuator = Actuator::new(&published_vk)?;
    let mut verdicts = Vec::new();
    for decision in inbox {
        match actuator.judge(&decision) {
            Verdict::Act(class) => {
                println!("actuator:   verified, acting on class {class}");
                verdicts.push(true);
            }
            Verdict::Refuse(why) => {
                println!("actuator:   refused: {why}");
                verdicts.push(false);
            }
        }
    }
    classifier
        .join()
        .expect("the classifier thread does not panic")?;
    if verdicts != [true, false] {
        return Err("expected the honest decision accepted and the tampered one refused".into());
    }
    Ok(())
}
