//! Tests of the transformer relations (issue 6): completeness on small hand-built programs and
//! malicious provers, beside the other prover tests.

use super::*;

/// A smooth table at scale 4 on `domain`.
fn smooth(x: u32, out: u32, func: TableFn, domain: (i64, i64)) -> Instr {
    lookup(x, out, func, 4, domain)
}

/// Sigmoid (inputs beyond both ends of the domain) → Log (a domain without 0, so padding
/// reads `f(lo) ≠ 0`) → GELU → Exp (a domain of non-positive inputs).
fn smooth_tables() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 4, Input),        // 0
            t(&[3, 5], 4, Intermediate), // 1
            t(&[3, 5], 4, Intermediate), // 2
            t(&[3, 5], 4, Intermediate), // 3
            t(&[3, 5], 4, Output),       // 4
        ],
        vec![
            smooth(0, 1, TableFn::Sigmoid, (-40, 40)),
            smooth(1, 2, TableFn::Log, (1, 20)),
            smooth(2, 3, TableFn::Gelu, (-64, 63)),
            smooth(3, 4, TableFn::Exp, (-100, 0)),
        ],
    )
}

#[test]
fn smooth_tables_completeness_and_soundness() {
    let p = smooth_tables();
    let r = run(&p, 11);
    let x = r.trace.value(id(0));
    assert!(x.iter().any(|v| *v < -40) && x.iter().any(|v| *v > 40));
    check_soundness(&p, &r);
    skipped_clamps_are_checked(&p, &r);
}

/// A smooth lookup whose inputs all lie in its table skips its clamp (no ReLU lookups;
/// `Plan::with_unclamped`): the honest proof does so for the lookups that allow it, a proof
/// with every clamp verifies too, skipping the clamp of a lookup whose inputs leave the table
/// is rejected, and malformed lists are refused by the verifier.
fn skipped_clamps_are_checked(p: &Program, r: &Run) {
    let outputs = r.trace.outputs(p);
    let honest: Vec<usize> = r
        .proof
        .unclamped_lookups
        .iter()
        .map(|i| *i as usize)
        .collect();
    // The sigmoid's inputs leave [lo, lo + K) = [−40, 88); GELU's stay inside.
    assert!(!honest.contains(&0) && honest.contains(&2), "{honest:?}");
    let with = |unclamped: Vec<usize>, mask: bool| {
        let cheats = Cheats {
            mask_range_keys: mask,
            unclamped: Some(unclamped),
            ..Cheats::default()
        };
        accepted_with(&r.pk, &r.vk, &r.trace, &r.inputs, &outputs, cheats)
    };
    assert!(with(Vec::new(), false), "every clamp proven");
    assert!(with(honest.clone(), false), "the honest choice");
    assert!(
        !with(vec![0], false),
        "the prover refuses keys outside the table"
    );
    assert!(!with(vec![0], true), "keys reduced modulo K are caught");
    let refused = |unclamped: Vec<u32>| {
        let mut proof = r.proof.clone();
        proof.unclamped_lookups = unclamped;
        matches!(
            verify(&r.vk, &r.inputs, &outputs, &proof),
            Err(VerifyError::Malformed(_))
        )
    };
    for bad in [vec![2, 2], vec![3, 2], vec![4], vec![99], vec![u32::MAX]] {
        assert!(refused(bad.clone()), "{bad:?}");
    }
}

/// Token embedding (indices an input) and a gather along axis 1 with constant indices
/// (one negative).
fn gathers() -> Program {
    use Role::*;
    let p = Program {
        tensors: vec![
            t(&[5, 4], 0, Weight),          // 0 wte
            t(&[2, 3], 0, Input),           // 1 token ids
            t(&[2, 3, 4], 0, Output),       // 2
            t(&[3, 6, 2], 0, Weight),       // 3
            t(&[3], 0, Constant),           // 4 positions
            t(&[3, 3, 2], 0, Intermediate), // 5
            t(&[3, 3, 2], 0, Output),       // 6
        ],
        instrs: vec![
            Instr::Gather {
                data: id(0),
                indices: id(1),
                axis: 0,
                out: id(2),
            },
            Instr::Gather {
                data: id(3),
                indices: id(4),
                axis: 1,
                out: id(5),
            },
            neg(5, 6),
        ],
        inputs: vec![id(1)],
        outputs: vec![id(2), id(6)],
        constants: vec![atlas_isa::TensorData {
            id: id(4),
            values: vec![0, -1, 2],
        }],
        custom_tables: Default::default(),
    };
    p.validate().expect("valid test program");
    p
}

#[test]
fn gather_completeness_and_soundness() {
    let p = gathers();
    let r = run_on(&p, vec![vec![4, 0, -2, 1, 1, 3]], 21);
    check_soundness(&p, &r);
    // A wrong gather index: the proof does not verify for another token sequence with the
    // same outputs.
    let outputs = r.trace.outputs(&p);
    let mut other = r.inputs.clone();
    other[0][2] = 0;
    assert!(verify(&r.vk, &other, &outputs, &r.proof).is_err());
    // An index out of range is rejected, not a panic.
    other[0][2] = 9;
    assert!(verify(&r.vk, &other, &outputs, &r.proof).is_err());
}

/// Gathers along axis 0 and along a middle axis with indices computed in the program.
fn computed_gathers() -> Program {
    use Role::*;
    program(
        vec![
            t(&[5, 4], 0, Weight),          // 0
            t(&[2], 0, Input),              // 1
            t(&[2], 0, Intermediate),       // 2 = −1
            t(&[2], 0, Intermediate),       // 3 = −2 (the indices)
            t(&[2, 4], 0, Output),          // 4 = 0[3]
            t(&[3, 5, 2], 0, Weight),       // 5
            t(&[3, 2, 2], 0, Intermediate), // 6 = 5[:, 3]
            t(&[3, 2, 2], 0, Output),       // 7
        ],
        vec![
            neg(1, 2),
            neg(2, 3),
            Instr::Gather {
                data: id(0),
                indices: id(3),
                axis: 0,
                out: id(4),
            },
            Instr::Gather {
                data: id(5),
                indices: id(3),
                axis: 1,
                out: id(6),
            },
            neg(6, 7),
        ],
    )
}

/// Computed indices: completeness; every tampered intermediate (including the indices) and a
/// negative computed index are rejected.
#[test]
fn gather_with_computed_indices() {
    let p = computed_gathers();
    let r = run_on(&p, vec![vec![3, 2]], 23);
    check_soundness(&p, &r);
    let neg = crate::execute(&p, &r.pk.weights, &[vec![-1, 2]]).expect("execute");
    assert!(!accepted(
        &r.pk,
        &r.vk,
        &neg,
        &[vec![-1, 2]],
        &neg.outputs(&p),
        false
    ));
}

/// `row_op` from a `[3, 5]` input at scale 4 to scale 6, then a negation.
fn then_neg(row_op: Instr) -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 4, Input),        // 0
            t(&[3, 5], 6, Intermediate), // 1
            t(&[3, 5], 6, Output),       // 2
        ],
        vec![row_op, neg(1, 2)],
    )
}

/// Softmax along the last axis of `[3, 5]` (padded columns and rows), exp domain `[−96, 0]`
/// at scale 4 (so some differences clamp), output scale 6; then a negation.
fn softmax() -> Program {
    then_neg(Instr::Softmax {
        x: id(0),
        axis: 1,
        exp: Table {
            func: TableFn::Exp,
            in_scale: 4,
            out_scale: 8,
            domain: (-96, 0),
        },
        out: id(1),
    })
}

#[test]
fn softmax_completeness_and_soundness() {
    let p = softmax();
    let r = run(&p, 31);
    check_soundness(&p, &r);
}

/// The softmax trace with its witness changed by `f` (a cheating prover's advice).
fn softmax_cheat(r: &Run, f: impl Fn(&mut crate::trace::SoftmaxWitness, &mut Vec<i64>)) -> Trace {
    cheat(&softmax(), r, 0, |w, out| {
        let InstrWitness::Softmax(w) = w else {
            panic!("softmax witness")
        };
        f(w, out)
    })
}

/// The trace of `r` (a run of `p`) with instruction `index`'s witness and output changed by `f`
/// (a cheating prover's advice), and the negation after it recomputed.
fn cheat(
    p: &Program,
    r: &Run,
    index: usize,
    f: impl Fn(&mut InstrWitness, &mut Vec<i64>),
) -> Trace {
    let (mut values, mut witnesses) = r.parts(p);
    let out = p.instrs[index].output().index();
    f(&mut witnesses[index], &mut values[out]);
    values[out + 1] = values[out].iter().map(|v| -v).collect();
    Trace::new(values, witnesses)
}

/// A wrong row maximum (one above or one below the true one), wrong quotients with matching
/// remainders, and out-of-range remainders are rejected (the cheating prover reduces
/// out-of-range keys modulo 2^32).
#[test]
fn softmax_wrong_advice_is_rejected() {
    let p = softmax();
    let r = run(&p, 32);
    let rejected = |t: &Trace| r.rejects(&p, t);
    assert!(rejected(&softmax_cheat(&r, |w, _| w.row_max[1] += 1)));
    assert!(rejected(&softmax_cheat(&r, |w, _| w.row_max[1] -= 1)));
    // out + 1 with the remainder lowered by 2S: the division identity holds, rem < 0.
    assert!(rejected(&softmax_cheat(&r, |w, out| {
        out[6] += 1;
        w.remainders[6] = w.remainders[6].wrapping_sub(2 * w.sums[1] as u64);
    })));
    // out − 1 with the remainder raised by 2S: rem ≥ 2S.
    assert!(rejected(&softmax_cheat(&r, |w, out| {
        out[6] -= 1;
        w.remainders[6] += 2 * w.sums[1] as u64;
    })));
    // A wrong quotient alone.
    assert!(rejected(&softmax_cheat(&r, |_, out| out[7] += 1)));
    // The honest witness through the same path is accepted.
    assert!(!rejected(&softmax_cheat(&r, |_, _| {})));
}

/// RmsNorm along the last axis of `[3, 5]` at scale 4 → scale 6, eps 3; then a negation.
fn rms_norm() -> Program {
    then_neg(Instr::RmsNorm {
        x: id(0),
        axis: 1,
        eps: 3,
        out: id(1),
    })
}

#[test]
fn rms_norm_completeness_and_soundness() {
    let p = rms_norm();
    let r = run(&p, 41);
    check_soundness(&p, &r);
}

/// The RmsNorm trace with its witness changed by `f`.
fn rms_cheat(r: &Run, f: impl Fn(&mut crate::trace::RmsNormWitness, &mut Vec<i64>)) -> Trace {
    cheat(&rms_norm(), r, 0, |w, out| {
        let InstrWitness::RmsNorm(w) = w else {
            panic!("RmsNorm witness")
        };
        f(w, out)
    })
}

/// Tampered statistics are rejected: the mean square or the root moved with its remainder
/// adjusted to keep the identity (so only a range check catches it), or moved alone; a wrong
/// quotient. The cheating prover reduces out-of-range keys modulo 2^32.
#[test]
fn rms_norm_tampered_statistics_are_rejected() {
    let p = rms_norm();
    let r = run(&p, 42);
    let rejected = |t: &Trace| r.rejects(&p, t);
    let n = 5u64;
    // Mean square + 1, remainder − 2n (negative).
    assert!(rejected(&rms_cheat(&r, |w, _| {
        w.mean_squares[1] += 1;
        w.mean_remainders[1] = w.mean_remainders[1].wrapping_sub(2 * n);
    })));
    // Mean square − 1, remainder + 2n (≥ 2n); the root and the quotients recomputed would
    // differ, so keep them: the root identity breaks too.
    assert!(rejected(&rms_cheat(&r, |w, _| {
        w.mean_squares[1] -= 1;
        w.mean_remainders[1] += 2 * n;
    })));
    // Root + 1 with its remainder lowered to keep d² + rr (negative remainder).
    assert!(rejected(&rms_cheat(&r, |w, _| {
        let d = w.roots[2] as u64;
        w.roots[2] += 1;
        w.root_remainders[2] = w.root_remainders[2].wrapping_sub(2 * d + 1);
    })));
    // Root − 1 with its remainder raised (rr > 2d).
    assert!(rejected(&rms_cheat(&r, |w, _| {
        w.roots[0] -= 1;
        w.root_remainders[0] += 2 * w.roots[0] as u64 + 1;
    })));
    // The root alone; a quotient alone.
    assert!(rejected(&rms_cheat(&r, |w, _| w.roots[1] += 1)));
    assert!(rejected(&rms_cheat(&r, |_, out| out[4] += 1)));
    assert!(!rejected(&rms_cheat(&r, |_, _| {})));
}

/// The `input_data` rows of an `input.json` (`{"input_data": [[…], …]}`).
fn input_json(path: &std::path::Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).expect("input.json");
    let key = text.find("\"input_data\"").expect("input_data");
    let start = key + text[key..].find("[[").expect("input_data") + 2;
    let end = start + text[start..].find("]]").expect("input_data");
    text[start..end]
        .split("],")
        .map(|row| {
            row.trim_start_matches(|c: char| c == '[' || c.is_whitespace())
                .split(',')
                .map(|v| v.trim().parse::<f64>().expect("a number"))
                .collect()
        })
        .collect()
}

/// Compiles, proves and verifies the model in `dir` on its `input.json`; reports prove and
/// verify times and the proof size. Returns `None` when the model is absent.
fn prove_model_dir(dir: &std::path::Path) -> Option<(Program, VerifyingKey, Vec<Vec<i64>>, Proof)> {
    let onnx = dir.join("network.onnx");
    if !onnx.exists() {
        eprintln!("{}: absent, skipped", onnx.display());
        return None;
    }
    let c = atlas_onnx::load(&onnx, None)
        .expect("load")
        .compile(&atlas_onnx::CompileOptions::default())
        .expect("compile");
    let inputs = atlas_onnx::quantize_inputs(&c.program, &input_json(&dir.join("input.json")))
        .expect("inputs");
    let t0 = std::time::Instant::now();
    let (pk, vk) = setup(&c.program, &c.weights).expect("setup");
    let t1 = std::time::Instant::now();
    let trace = crate::execute(&c.program, &c.weights, &inputs).expect("execute");
    let proof = prove(&pk, &trace, &inputs).expect("prove");
    let t2 = std::time::Instant::now();
    let outputs = trace.outputs(&c.program);
    verify(&vk, &inputs, &outputs, &proof).expect("verify");
    let t3 = std::time::Instant::now();
    eprintln!(
        "{}: {} instrs, setup {:?} (2^{} PCS), prove {:?}, verify {:?}, proof {} bytes",
        dir.display(),
        c.program.instrs.len(),
        t1 - t0,
        pk.plan.max_num_vars,
        t2 - t1,
        t3 - t2,
        proof.to_bytes().len()
    );
    let mut bad = outputs;
    bad[0][0] += 1;
    assert!(verify(&vk, &inputs, &bad, &proof).is_err());
    Some((c.program, vk, inputs, proof))
}

fn guest_dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest-examples/models")
        .join(name)
}

#[test]
fn guest_attention() {
    prove_model_dir(&guest_dir("attention")).expect("the guest example exists");
}

/// tiny_gpt end to end; another token sequence does not verify against the proof.
#[test]
fn guest_tiny_gpt() {
    let (p, vk, inputs, proof) =
        prove_model_dir(&guest_dir("tiny_gpt")).expect("the guest example exists");
    let mut other = inputs.clone();
    other[0][3] = (other[0][3] + 1) % 32;
    let outputs = vec![vec![0; p.tensor(p.outputs[0]).len()]];
    assert!(verify(&vk, &other, &outputs, &proof).is_err());
}

/// nanoGPT (skipped when the shared model is absent; slow, run with `--ignored`).
#[test]
#[ignore]
fn shared_nanogpt() {
    prove_model_dir(std::path::Path::new("/work/shared/models/nanogpt"));
}

/// Div of `[3, 5]` by a broadcast `[3, 1]` (scales 4 / 4 → 6) and Sqrt of `[3, 5]` (negative
/// inputs give 0), each followed by a negation.
fn div_sqrt() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 4, Input),        // 0
            t(&[3, 1], 4, Input),        // 1
            t(&[3, 5], 6, Intermediate), // 2 = 0 / 1
            t(&[3, 5], 6, Output),       // 3
            t(&[3, 5], 4, Intermediate), // 4 = sqrt(0)
            t(&[3, 5], 4, Output),       // 5
        ],
        vec![
            Instr::Div {
                a: id(0),
                b: id(1),
                out: id(2),
            },
            neg(2, 3),
            Instr::Sqrt {
                x: id(0),
                out: id(4),
            },
            neg(4, 5),
        ],
    )
}

fn div_sqrt_run(seed: u64) -> Run {
    let a = sample(15, 300, seed);
    run_on(&div_sqrt(), vec![a, vec![7, 30, 1]], seed)
}

#[test]
fn div_sqrt_completeness_and_soundness() {
    let p = div_sqrt();
    let r = div_sqrt_run(51);
    check_soundness(&p, &r);
    // A non-positive divisor cannot be proven: the VM refuses it, and so would the range
    // check on 2b − 1 − rem.
    assert!(crate::execute(&p, &r.pk.weights, &[r.inputs[0].clone(), vec![7, 0, 1]]).is_err());
}

/// The Div / Sqrt trace with instruction `index`'s remainders and output changed by `f`.
fn division_cheat(r: &Run, index: usize, f: impl Fn(&mut Vec<u64>, &mut Vec<i64>)) -> Trace {
    cheat(&div_sqrt(), r, index, |w, out| {
        let (InstrWitness::Div { remainders } | InstrWitness::Sqrt { remainders }) = w else {
            panic!("Div / Sqrt witness")
        };
        f(remainders, out)
    })
}

/// Wrong quotients and roots, with remainders adjusted to keep the identities (so only the
/// range checks catch them) or alone, are rejected; so are out-of-range remainders.
#[test]
fn div_sqrt_wrong_results_are_rejected() {
    let p = div_sqrt();
    let r = div_sqrt_run(52);
    let rejected = |t: &Trace| r.rejects(&p, t);
    // Div, row 1 (b = 30): q + 1 with rem − 2b; q − 1 with rem + 2b; rem alone.
    assert!(rejected(&division_cheat(&r, 0, |rem, q| {
        q[6] += 1;
        rem[6] = rem[6].wrapping_sub(60);
    })));
    assert!(rejected(&division_cheat(&r, 0, |rem, q| {
        q[6] -= 1;
        rem[6] += 60;
    })));
    assert!(rejected(&division_cheat(&r, 0, |rem, _| rem[7] += 1)));
    // Sqrt at a positive input: R + 1 with rem − (2R + 1); R − 1 with rem + (2R − 1).
    let j = (0..15)
        .find(|&j| r.trace.value(id(4))[j] > 1)
        .expect("a positive root");
    assert!(rejected(&division_cheat(&r, 2, |rem, root| {
        rem[j] = rem[j].wrapping_sub(2 * root[j] as u64 + 1);
        root[j] += 1;
    })));
    assert!(rejected(&division_cheat(&r, 2, |rem, root| {
        rem[j] += 2 * root[j] as u64 - 1;
        root[j] -= 1;
    })));
    assert!(rejected(&division_cheat(&r, 2, |rem, _| rem[j] += 1)));
    assert!(!rejected(&division_cheat(&r, 2, |_, _| {})));
}

/// Equal of `[3, 5]` and a broadcast `[5]` (many ties), then a negation.
fn equal() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 0, Input),        // 0
            t(&[5], 0, Input),           // 1
            t(&[3, 5], 0, Intermediate), // 2
            t(&[3, 5], 0, Output),       // 3
        ],
        vec![
            Instr::Equal {
                a: id(0),
                b: id(1),
                out: id(2),
            },
            neg(2, 3),
        ],
    )
}

#[test]
fn equal_completeness_and_soundness() {
    let p = equal();
    let r = run_on(&p, vec![sample(15, 2, 61), vec![0, 1, -1, 2, -2]], 61);
    let out = r.trace.value(id(2));
    assert!(out.contains(&1) && out.contains(&0));
    check_soundness(&p, &r);
    // Every single flipped comparison is rejected.
    for j in 0..15 {
        let (mut values, witnesses) = r.parts(&p);
        values[2][j] = 1 - values[2][j];
        values[3][j] = -values[2][j];
        assert!(r.rejects(&p, &Trace::new(values, witnesses)));
    }
}

/// Softmax and RmsNorm along a middle and a first axis of `[2, 3, 5]` (padded everywhere).
fn row_ops_other_axes() -> Program {
    use Role::*;
    let exp = Table {
        func: TableFn::Exp,
        in_scale: 4,
        out_scale: 8,
        domain: (-96, 0),
    };
    program(
        vec![
            t(&[2, 3, 5], 4, Input),        // 0
            t(&[2, 3, 5], 6, Intermediate), // 1 = softmax over axis 1
            t(&[2, 3, 5], 6, Output),       // 2
            t(&[2, 3, 5], 6, Intermediate), // 3 = softmax over axis 0
            t(&[2, 3, 5], 6, Output),       // 4
            t(&[2, 3, 5], 6, Intermediate), // 5 = RmsNorm over axis 1
            t(&[2, 3, 5], 6, Output),       // 6
            t(&[2, 3, 5], 6, Intermediate), // 7 = RmsNorm over axis 0
            t(&[2, 3, 5], 6, Output),       // 8
        ],
        vec![
            Instr::Softmax {
                x: id(0),
                axis: 1,
                exp: exp.clone(),
                out: id(1),
            },
            neg(1, 2),
            Instr::Softmax {
                x: id(0),
                axis: 0,
                exp,
                out: id(3),
            },
            neg(3, 4),
            Instr::RmsNorm {
                x: id(0),
                axis: 1,
                eps: 3,
                out: id(5),
            },
            neg(5, 6),
            Instr::RmsNorm {
                x: id(0),
                axis: 0,
                eps: 3,
                out: id(7),
            },
            neg(7, 8),
        ],
    )
}

#[test]
fn softmax_and_rms_norm_on_other_axes() {
    let p = row_ops_other_axes();
    let r = run(&p, 71);
    check_soundness(&p, &r);
}

/// Malformed proofs of a run are errors, never panics: a value, sumcheck or lookup part
/// removed from each step, and bytes flipped across the encoding.
fn malformed_proofs_are_errors(p: &Program, r: &Run) {
    let outputs = r.trace.outputs(p);
    for k in 0..r.proof.steps.len() {
        let mut edits: Vec<Proof> = Vec::new();
        let step = &r.proof.steps[k];
        if !step.values.is_empty() {
            let mut q = r.proof.clone();
            q.steps[k].values.pop();
            edits.push(q);
        }
        if !step.sumchecks.is_empty() {
            let mut q = r.proof.clone();
            q.steps[k].sumchecks.clear();
            edits.push(q);
        }
        if step.shout.is_some() {
            let mut q = r.proof.clone();
            q.steps[k].shout = None;
            edits.push(q);
        }
        let mut q = r.proof.clone();
        q.steps.remove(k);
        edits.push(q);
        for q in edits {
            assert!(verify(&r.vk, &r.inputs, &outputs, &q).is_err(), "step {k}");
        }
    }
    let bytes = r.proof.to_bytes();
    let stride = (bytes.len() / 40).max(1);
    for pos in (7..bytes.len()).step_by(stride) {
        let mut b = bytes.clone();
        b[pos] ^= 0x04;
        if let Ok(q) = Proof::from_bytes(&b) {
            assert!(
                verify(&r.vk, &r.inputs, &outputs, &q).is_err(),
                "byte {pos}"
            );
        }
    }
}

#[test]
fn malformed_transformer_proofs_are_errors() {
    let progs = [smooth_tables(), softmax(), rms_norm(), equal()];
    for (i, p) in progs.iter().enumerate() {
        let r = match i {
            3 => run_on(p, vec![sample(15, 2, 81), vec![0, 1, -1, 2, -2]], 81),
            _ => run(p, 80 + i as u64),
        };
        malformed_proofs_are_errors(p, &r);
    }
    let r = run_on(&gathers(), vec![vec![4, 0, -2, 1, 1, 3]], 85);
    malformed_proofs_are_errors(&gathers(), &r);
    let r = run_on(&computed_gathers(), vec![vec![3, 2]], 87);
    malformed_proofs_are_errors(&computed_gathers(), &r);
    let r = div_sqrt_run(86);
    malformed_proofs_are_errors(&div_sqrt(), &r);
}

/// Softmax whose exp table is user-defined (its values travel in the program): `2^(x/16)` at
/// output scale 8 on `[−96, 0]`, rounded. Proven like the built-in table, and every tampered
/// tensor is rejected.
#[test]
fn softmax_with_a_custom_exp_table() {
    let mut p = then_neg(Instr::Softmax {
        x: id(0),
        axis: 1,
        exp: Table {
            func: TableFn::Custom("exp2".into()),
            in_scale: 4,
            out_scale: 8,
            domain: (-96, 0),
        },
        out: id(1),
    });
    let values: Vec<i64> = (-96i64..=0)
        .map(|x| (256.0 * (x as f64 / 16.0).exp2()).round() as i64)
        .collect();
    p.custom_tables.insert("exp2".into(), values);
    p.validate().expect("valid test program");
    let r = run(&p, 33);
    check_soundness(&p, &r);
}
