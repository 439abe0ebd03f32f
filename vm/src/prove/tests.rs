//! Tests of the trace prover: completeness per instruction and on the example models,
//! malicious provers (wrong output, tampered intermediates, wrong weights, out-of-range advice),
//! mutated proof bytes, proofs checked against other keys and statements.

use std::panic::{catch_unwind, AssertUnwindSafe};

use atlas_isa::{
    EinsumSpec, Instr, Program, Role, Table, TableFn, TensorData, TensorId, TensorInfo, Weights,
    Window,
};

use super::*;
use crate::trace::{InstrWitness, Trace};

mod transformer;

fn t(shape: &[usize], scale: u32, role: Role) -> TensorInfo {
    TensorInfo {
        name: String::new(),
        shape: shape.to_vec(),
        scale,
        role,
    }
}

fn id(i: u32) -> TensorId {
    TensorId(i)
}

/// A square 2-d window: kernel `k`, stride `s`, padding `p` on every side.
fn win(k: usize, s: usize, p: usize) -> Window {
    Window {
        kernel: vec![k, k],
        strides: vec![s, s],
        dilations: vec![1, 1],
        pads: vec![(p, p); 2],
    }
}

/// Deterministic small integers in `[-m, m]`.
fn sample(n: usize, m: i64, seed: u64) -> Vec<i64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % (2 * m as u64 + 1)) as i64 - m
        })
        .collect()
}

/// Random weights for every weight tensor.
fn weights_for(p: &Program, seed: u64) -> Weights {
    Weights {
        tensors: p
            .tensors_with_role(Role::Weight)
            .into_iter()
            .map(|w| TensorData {
                id: w,
                values: sample(p.tensor(w).len(), 20, seed + w.0 as u64),
            })
            .collect(),
    }
}

fn inputs_for(p: &Program, seed: u64) -> Vec<Vec<i64>> {
    p.inputs
        .iter()
        .map(|&i| sample(p.tensor(i).len(), 50, seed + 100 + i.0 as u64))
        .collect()
}

struct Run {
    pk: ProvingKey,
    vk: VerifyingKey,
    inputs: Vec<Vec<i64>>,
    trace: Trace,
    proof: Proof,
}

fn run(p: &Program, seed: u64) -> Run {
    run_on(p, inputs_for(p, seed), seed)
}

/// Setup, prove and verify `p` on the given inputs (random weights).
fn run_on(p: &Program, inputs: Vec<Vec<i64>>, seed: u64) -> Run {
    let weights = weights_for(p, seed);
    let (pk, vk) = setup(p, &weights).expect("setup");
    let trace = crate::execute(p, &weights, &inputs).expect("execute");
    let proof = prove(&pk, &trace, &inputs).expect("prove");
    verify(&vk, &inputs, &trace.outputs(p), &proof).expect("honest proof verifies");
    Run {
        pk,
        vk,
        inputs,
        trace,
        proof,
    }
}

impl Run {
    /// Every tensor's values in the honest trace of `p`, and its witnesses (to tamper with).
    fn parts(&self, p: &Program) -> (Vec<Vec<i64>>, Vec<InstrWitness>) {
        let values = (0..p.tensors.len())
            .map(|i| self.trace.value(id(i as u32)).to_vec())
            .collect();
        (values, self.trace.witnesses().to_vec())
    }

    /// Whether a (masked) proof of the trace `t` of `p`, checked against `t`'s own outputs, is
    /// rejected.
    fn rejects(&self, p: &Program, t: &Trace) -> bool {
        let outputs = t.outputs(p);
        !accepted(&self.pk, &self.vk, t, &self.inputs, &outputs, true)
    }
}

/// Whether a (possibly cheating) prover run yields a proof the verifier accepts for `outputs`.
/// A prover that panics or errors produced nothing, which counts as rejected.
fn accepted(
    pk: &ProvingKey,
    vk: &VerifyingKey,
    trace: &Trace,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
    mask: bool,
) -> bool {
    let cheats = Cheats {
        mask_range_keys: mask,
        ..Cheats::default()
    };
    accepted_with(pk, vk, trace, inputs, outputs, cheats)
}

/// [`accepted`] for any [`Cheats`].
fn accepted_with(
    pk: &ProvingKey,
    vk: &VerifyingKey,
    trace: &Trace,
    inputs: &[Vec<i64>],
    outputs: &[Vec<i64>],
    cheats: Cheats,
) -> bool {
    let proof = catch_unwind(AssertUnwindSafe(|| {
        prove_with(pk, trace, inputs, cheats, Transcript::new(PROOF_LABEL))
    }));
    match proof {
        Ok(Ok(proof)) => verify(vk, inputs, outputs, &proof).is_ok(),
        _ => false,
    }
}

/// Every malicious variant of a run is rejected: wrong outputs, each intermediate tensor
/// tampered (one element, trace re-proven), another input.
fn check_soundness(p: &Program, r: &Run) {
    let outputs = r.trace.outputs(p);
    // Wrong output.
    for k in 0..outputs.len() {
        let mut bad = outputs.clone();
        bad[k][0] += 1;
        assert!(
            verify(&r.vk, &r.inputs, &bad, &r.proof).is_err(),
            "wrong output {k}"
        );
    }
    // Another input.
    let mut other = r.inputs.clone();
    other[0][0] += 1;
    assert!(
        verify(&r.vk, &other, &outputs, &r.proof).is_err(),
        "another input"
    );
    // Tampered intermediates, propagated to the outputs, re-proven.
    for (index, instr) in p.instrs.iter().enumerate() {
        let o = instr.output();
        if p.tensor(o).role != Role::Intermediate {
            continue;
        }
        let (tampered, bad_outputs) = tamper(p, r, index);
        assert!(
            !accepted(&r.pk, &r.vk, &tampered, &r.inputs, &bad_outputs, false),
            "tampered {o} ({}) accepted",
            instr.name()
        );
    }
}

/// The trace with one element of instruction `index`'s output changed and every later
/// instruction re-executed on it (a prover that cheats at `index`), and its outputs.
fn tamper(p: &Program, r: &Run, index: usize) -> (Trace, Vec<Vec<i64>>) {
    let o = p.instrs[index].output();
    let mut value = r.trace.value(o).to_vec();
    let n = value.len();
    value[n / 2] += 1;
    // Re-execute the rest with `o` as an extra input.
    let mut q = p.clone();
    q.tensors[o.index()].role = Role::Input;
    q.inputs.push(o);
    q.instrs.remove(index);
    let mut inputs = r.inputs.clone();
    inputs.push(value);
    let weights = r.pk.weights.clone();
    let rest = crate::execute(&q, &weights, &inputs).expect("re-execution");
    let values: Vec<Vec<i64>> = (0..p.tensors.len())
        .map(|i| rest.value(id(i as u32)).to_vec())
        .collect();
    let mut witnesses = rest.witnesses().to_vec();
    witnesses.insert(index, r.trace.witness(index).clone());
    let trace = Trace::new(values, witnesses);
    let outputs = trace.outputs(p);
    (trace, outputs)
}

fn program(tensors: Vec<TensorInfo>, instrs: Vec<Instr>) -> Program {
    let inputs = tensors
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == Role::Input)
        .map(|(i, _)| id(i as u32))
        .collect();
    let outputs = tensors
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == Role::Output)
        .map(|(i, _)| id(i as u32))
        .collect();
    let p = Program {
        tensors,
        instrs,
        inputs,
        outputs,
        constants: vec![],
        custom_tables: Default::default(),
    };
    p.validate().expect("valid test program");
    p
}

fn neg(x: u32, out: u32) -> Instr {
    Instr::Neg {
        x: id(x),
        out: id(out),
    }
}

/// A table lookup `out = func(x)` at `scale` in and out, on `domain`.
fn lookup(x: u32, out: u32, func: TableFn, scale: u32, domain: (i64, i64)) -> Instr {
    Instr::Lookup {
        x: id(x),
        table: Table {
            func,
            in_scale: scale,
            out_scale: scale,
            domain,
        },
        out: id(out),
    }
}

fn relu(x: u32, out: u32, scale: u32) -> Instr {
    lookup(x, out, TableFn::Relu, scale, (0, 0))
}

/// x:[3,5] · w:[5,6] + b:[6] → rescale 4 → ReLU.
fn dense_layer() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 4, Input),
            t(&[5, 6], 4, Weight),
            t(&[3, 6], 8, Intermediate),
            t(&[6], 8, Weight),
            t(&[3, 6], 8, Intermediate),
            t(&[3, 6], 4, Intermediate),
            t(&[3, 6], 4, Output),
        ],
        vec![
            Instr::Einsum {
                a: id(0),
                b: id(1),
                spec: EinsumSpec {
                    a: "mk".into(),
                    b: "kn".into(),
                    out: "mn".into(),
                },
                out: id(2),
            },
            Instr::Add {
                a: id(2),
                b: id(3),
                out: id(4),
            },
            Instr::Rescale {
                x: id(4),
                shift: 4,
                out: id(5),
            },
            relu(5, 6, 4),
        ],
    )
}

#[test]
fn dense_layer_completeness_and_soundness() {
    let p = dense_layer();
    let r = run(&p, 1);
    check_soundness(&p, &r);
}

/// Elementwise family with broadcasting: Sub, Mul, Neg, MulConst, ReduceSum, Broadcast.
fn elementwise() -> Program {
    use Role::*;
    program(
        vec![
            t(&[2, 3], 0, Input),        // 0
            t(&[3], 0, Weight),          // 1
            t(&[2, 3], 0, Intermediate), // 2 = 0 - 1
            t(&[2, 1], 0, Input),        // 3
            t(&[2, 3], 0, Intermediate), // 4 = 2 * 3
            t(&[2, 3], 0, Intermediate), // 5 = -4
            t(&[2, 3], 2, Intermediate), // 6 = 5 * 3 (scale 2)
            t(&[2, 1], 2, Intermediate), // 7 = sum axis 1 keep
            t(&[3], 2, Intermediate),    // 8 = sum axis 0
            t(&[2, 3], 2, Intermediate), // 9 = broadcast 7
            t(&[2, 3], 2, Output),       // 10 = 9 + 8
            t(&[2, 3], 2, Output),       // 11 = 6 * 0 const
        ],
        vec![
            Instr::Sub {
                a: id(0),
                b: id(1),
                out: id(2),
            },
            Instr::Mul {
                a: id(2),
                b: id(3),
                out: id(4),
            },
            neg(4, 5),
            Instr::MulConst {
                x: id(5),
                c: 3,
                c_scale: 2,
                out: id(6),
            },
            Instr::ReduceSum {
                x: id(6),
                axes: vec![1],
                keep_dims: true,
                out: id(7),
            },
            Instr::ReduceSum {
                x: id(6),
                axes: vec![0],
                keep_dims: false,
                out: id(8),
            },
            Instr::Broadcast {
                x: id(7),
                out: id(9),
            },
            Instr::Add {
                a: id(9),
                b: id(8),
                out: id(10),
            },
            Instr::MulConst {
                x: id(6),
                c: 0,
                c_scale: 0,
                out: id(11),
            },
        ],
    )
}

#[test]
fn elementwise_completeness_and_soundness() {
    let p = elementwise();
    let r = run(&p, 2);
    check_soundness(&p, &r);
}

/// One convolution with `group` groups: `x [1, c, h, h]`, kernel `[m, c / group, k, k]`.
fn grouped_conv(c: usize, m: usize, group: usize, h: usize, window: Window) -> Program {
    use Role::*;
    let k = window.kernel[0];
    let o = window.output_dims(&[h, h]).expect("window fits")[0];
    program(
        vec![
            t(&[1, c, h, h], 0, Input),
            t(&[m, c / group, k, k], 0, Weight),
            t(&[1, m, o, o], 0, Output),
        ],
        vec![Instr::Conv {
            x: id(0),
            w: id(1),
            window,
            group,
            out: id(2),
        }],
    )
}

/// Grouped convolutions: depthwise with a channel multiplier, two groups with a stride, and
/// three groups (a group axis padded from 3 to 4) are proven and every tampered tensor is
/// rejected; channels per group that are not a power of two are refused at setup, naming the
/// instruction.
#[test]
fn grouped_conv_completeness_and_soundness() {
    let cases = [
        grouped_conv(4, 8, 4, 5, win(3, 1, 1)),
        grouped_conv(4, 2, 2, 4, win(3, 2, 1)),
        grouped_conv(6, 3, 3, 4, win(2, 1, 0)),
    ];
    for (i, p) in cases.iter().enumerate() {
        let r = run(p, 20 + i as u64);
        check_soundness(p, &r);
    }
    let p = grouped_conv(6, 4, 2, 4, win(3, 1, 1));
    match setup(&p, &weights_for(&p, 1)) {
        Err(ProveError::Unsupported { index, op, reason }) => {
            assert_eq!((index, op), (0, "Conv"));
            assert!(
                reason.contains("3 input and 2 output channels per group"),
                "{reason}"
            );
        }
        other => panic!("expected Unsupported, got {:?}", other.map(|_| ())),
    }
}

/// Conv → SumPool → Transpose → Reshape (unaligned) → Slice, Pad, Concat.
fn windows_and_movement() -> Program {
    use Role::*;
    program(
        vec![
            t(&[1, 2, 5, 5], 0, Input),        // 0
            t(&[3, 2, 3, 3], 0, Weight),       // 1
            t(&[1, 3, 5, 5], 0, Intermediate), // 2 conv pad 1
            t(&[1, 3, 2, 2], 0, Intermediate), // 3 sumpool 2x2 s2
            t(&[1, 2, 2, 3], 0, Intermediate), // 4 transpose (0,2,3,1)
            t(&[3, 4], 0, Intermediate),       // 5 reshape
            t(&[3, 2], 0, Intermediate),       // 6 slice axis 1, 0..4 step 2
            t(&[5, 3], 0, Intermediate),       // 7 pad ((1,1),(0,1)) value 7
            t(&[5, 7], 0, Output),             // 8 concat(7, reshape... ) axis 1
            t(&[5, 4], 0, Input),              // 9
        ],
        vec![
            Instr::Conv {
                x: id(0),
                w: id(1),
                window: win(3, 1, 1),
                group: 1,
                out: id(2),
            },
            Instr::SumPool {
                x: id(2),
                window: win(2, 2, 0),
                out: id(3),
            },
            Instr::Transpose {
                x: id(3),
                perm: vec![0, 2, 3, 1],
                out: id(4),
            },
            Instr::Reshape {
                x: id(4),
                out: id(5),
            },
            Instr::Slice {
                x: id(5),
                axis: 1,
                start: 0,
                end: 4,
                step: 2,
                out: id(6),
            },
            Instr::Pad {
                x: id(6),
                pads: vec![(1, 1), (0, 1)],
                value: 7,
                out: id(7),
            },
            Instr::Concat {
                xs: vec![id(7), id(9)],
                axis: 1,
                out: id(8),
            },
        ],
    )
}

#[test]
fn windows_and_movement_completeness_and_soundness() {
    let p = windows_and_movement();
    let r = run(&p, 3);
    check_soundness(&p, &r);
}

/// Conv → ReLU → MaxPool (with padding taps) → Neg; ReduceMax with and without kept axes.
fn max_pool() -> Program {
    use Role::*;
    program(
        vec![
            t(&[1, 2, 5, 5], 0, Input),        // 0
            t(&[2, 2, 1, 1], 0, Weight),       // 1
            t(&[1, 2, 5, 5], 0, Intermediate), // 2
            t(&[1, 2, 5, 5], 0, Intermediate), // 3
            t(&[1, 2, 3, 3], 0, Intermediate), // 4
            t(&[1, 2, 3, 3], 0, Output),       // 5
            t(&[1, 1, 5, 1], 0, Output),       // 6
            t(&[1, 2, 3], 0, Output),          // 7
        ],
        vec![
            Instr::Conv {
                x: id(0),
                w: id(1),
                window: win(1, 1, 0),
                group: 1,
                out: id(2),
            },
            relu(2, 3, 0),
            Instr::MaxPool {
                x: id(3),
                window: win(2, 2, 1),
                out: id(4),
            },
            neg(4, 5),
            Instr::ReduceMax {
                x: id(3),
                axes: vec![1, 3],
                keep_dims: true,
                out: id(6),
            },
            Instr::ReduceMax {
                x: id(4),
                axes: vec![2],
                keep_dims: false,
                out: id(7),
            },
        ],
    )
}

#[test]
fn max_pool_completeness_and_soundness() {
    let p = max_pool();
    let r = run(&p, 7);
    check_soundness(&p, &r);
}

fn table(x: u32, out: u32, func: TableFn) -> Instr {
    lookup(x, out, func, 0, (0, 0))
}

/// Clip (a range not containing 0) → LeakyReLU → Clip → Neg.
fn clip_and_leaky() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 0, Input),        // 0
            t(&[3, 5], 0, Intermediate), // 1
            t(&[3, 5], 0, Intermediate), // 2
            t(&[3, 5], 0, Intermediate), // 3
            t(&[3, 5], 0, Output),       // 4
        ],
        vec![
            table(0, 1, TableFn::Clip { lo: -30, hi: -2 }),
            table(1, 2, TableFn::LeakyRelu { alpha_q: 3 << 13 }),
            table(2, 3, TableFn::Clip { lo: -5, hi: 5 }),
            neg(3, 4),
        ],
    )
}

#[test]
fn clip_and_leaky_relu_completeness_and_soundness() {
    let p = clip_and_leaky();
    let r = run(&p, 8);
    check_soundness(&p, &r);
}

/// The per-proof lookup key widths (`Plan::narrowed`): the honest prover narrows the wide
/// instances (comparison gaps, ReLU operands) and its proof verifies, as does one on the
/// program's own widths; a prover that narrows an instance below what its values need is
/// rejected; the verifier refuses widths a table cannot take with an error.
#[test]
fn lookup_key_widths_are_checked() {
    for (p, seed) in [(max_min(), 9), (clip_and_leaky(), 8)] {
        let r = run(&p, seed);
        let outputs = r.trace.outputs(&p);
        let wide = r.pk.plan.key_bits();
        let honest = r.proof.lookup_key_bits.clone();
        let narrowed: Vec<usize> = (0..wide.len()).filter(|s| honest[*s] < wide[*s]).collect();
        assert!(!narrowed.is_empty(), "nothing narrowed: {honest:?}");
        let with_bits = |bits: Vec<u8>| Cheats {
            key_bits: Some(bits),
            ..Cheats::default()
        };
        let check = |bits: Vec<u8>| {
            accepted_with(&r.pk, &r.vk, &r.trace, &r.inputs, &outputs, with_bits(bits))
        };
        assert!(check(wide.clone()), "the program's widths");
        assert!(check(honest.clone()), "the narrowest widths");
        for &s in &narrowed {
            let mut bits = honest.clone();
            if bits[s] > 4 {
                bits[s] -= 4;
                assert!(!check(bits), "instance {s} narrowed below its values");
            }
        }
        let refused = |bits: Vec<u8>| {
            let mut proof = r.proof.clone();
            proof.lookup_key_bits = bits;
            matches!(
                verify(&r.vk, &r.inputs, &outputs, &proof),
                Err(VerifyError::Malformed(_))
            )
        };
        let s = narrowed[0];
        for bad in [3u8, 30, 36, 0] {
            let mut bits = honest.clone();
            bits[s] = bad;
            assert!(refused(bits), "width {bad}");
        }
        assert!(refused(honest[1..].to_vec()), "one width short");
        if let Some(small) = (0..wide.len()).find(|s| wide[*s] < 24 && wide[*s] > 4) {
            let mut bits = honest.clone();
            bits[small] = 4;
            assert!(refused(bits), "a narrow table narrowed further");
        }
    }
}

/// Max, Min, Less and Where with broadcasting (ties included).
fn max_min() -> Program {
    use Role::*;
    program(
        vec![
            t(&[3, 5], 0, Input),        // 0
            t(&[5], 0, Weight),          // 1
            t(&[3, 5], 0, Intermediate), // 2 = max(0, 1)
            t(&[3, 1], 0, Input),        // 3
            t(&[3, 5], 0, Intermediate), // 4 = min(3, 2)
            t(&[3, 5], 0, Output),       // 5 = max(4, 4) (ties)
            t(&[3, 5], 0, Output),       // 6 = 4 < 0
            t(&[3, 5], 0, Output),       // 7 = 3 < 1
            t(&[3, 5], 0, Output),       // 8 = where(6, 3, 2)
        ],
        vec![
            Instr::Max {
                a: id(0),
                b: id(1),
                out: id(2),
            },
            Instr::Min {
                a: id(3),
                b: id(2),
                out: id(4),
            },
            Instr::Max {
                a: id(4),
                b: id(4),
                out: id(5),
            },
            Instr::Less {
                a: id(4),
                b: id(0),
                out: id(6),
            },
            Instr::Less {
                a: id(3),
                b: id(1),
                out: id(7),
            },
            Instr::Where {
                cond: id(6),
                a: id(3),
                b: id(2),
                out: id(8),
            },
        ],
    )
}

#[test]
fn max_min_completeness_and_soundness() {
    let p = max_min();
    let r = run(&p, 9);
    check_soundness(&p, &r);
}

#[test]
fn wrong_weights_are_rejected() {
    let p = dense_layer();
    let r = run(&p, 4);
    let other = weights_for(&p, 99);
    let trace = crate::execute(&p, &other, &r.inputs).unwrap();
    let mut cheat = r.pk.clone();
    cheat.weights = other;
    let outputs = trace.outputs(&p);
    assert!(!accepted(&cheat, &r.vk, &trace, &r.inputs, &outputs, false));
}

#[test]
fn out_of_range_remainder_is_rejected() {
    // x·w → rescale: the rescale output is the program output.
    use Role::*;
    let p = program(
        vec![
            t(&[2, 3], 2, Input),
            t(&[3, 2], 2, Weight),
            t(&[2, 2], 4, Intermediate),
            t(&[2, 2], 2, Output),
        ],
        vec![
            Instr::Einsum {
                a: id(0),
                b: id(1),
                spec: EinsumSpec {
                    a: "mk".into(),
                    b: "kn".into(),
                    out: "mn".into(),
                },
                out: id(2),
            },
            Instr::Rescale {
                x: id(2),
                shift: 2,
                out: id(3),
            },
        ],
    );
    let r = run(&p, 5);
    let (mut values, mut witnesses) = r.parts(&p);
    // out − 1 and rem + 4: still x = 4·out + rem − 2, but rem ∉ [0, 4).
    values[3][1] -= 1;
    let InstrWitness::Rescale { remainders } = &mut witnesses[1] else {
        panic!("rescale")
    };
    remainders[1] += 4;
    let tampered = Trace::new(values, witnesses);
    assert!(matches!(
        prove(&r.pk, &tampered, &r.inputs),
        Err(ProveError::Witness(_))
    ));
    assert!(r.rejects(&p, &tampered));
}

#[test]
fn other_key_and_mutated_bytes_are_rejected() {
    let p = dense_layer();
    let r = run(&p, 6);
    let outputs = r.trace.outputs(&p);
    // Another model's key (same program, other weights; and another program).
    let (_, vk_other) = setup(&p, &weights_for(&p, 77)).unwrap();
    assert!(verify(&vk_other, &r.inputs, &outputs, &r.proof).is_err());
    let q = elementwise();
    let (_, vk_q) = setup(&q, &weights_for(&q, 1)).unwrap();
    assert!(verify(&vk_q, &r.inputs, &outputs, &r.proof).is_err());

    // Encodings round-trip; wrong kind and version are clear errors.
    let bytes = r.proof.to_bytes();
    let decoded = Proof::from_bytes(&bytes).unwrap();
    verify(&r.vk, &r.inputs, &outputs, &decoded).unwrap();
    let vk2 = VerifyingKey::from_bytes(&r.vk.to_bytes()).unwrap();
    verify(&vk2, &r.inputs, &outputs, &decoded).unwrap();
    assert!(matches!(
        Proof::from_bytes(&r.vk.to_bytes()),
        Err(DecodeError::WrongKind { .. })
    ));
    let mut old = bytes.clone();
    old[5] ^= 0xff;
    assert!(matches!(
        Proof::from_bytes(&old),
        Err(DecodeError::WrongVersion { .. })
    ));
    let pk2 = ProvingKey::from_bytes(&r.pk.to_bytes()).unwrap();
    assert_eq!(pk2.vk.digest(), r.vk.digest());

    // Walk byte regions: every mutation is an error, never a panic.
    let stride = (bytes.len() / 150).max(1);
    for pos in (7..bytes.len()).step_by(stride) {
        for flip in [0x01u8, 0x80] {
            let mut b = bytes.clone();
            b[pos] ^= flip;
            if let Ok(proof) = Proof::from_bytes(&b) {
                if verify(&r.vk, &r.inputs, &outputs, &proof).is_ok() {
                    let which = if proof.advice_commitments != r.proof.advice_commitments {
                        "advice".to_string()
                    } else if proof.lookup_commitments != r.proof.lookup_commitments {
                        "lookup commitments".to_string()
                    } else if proof.steps != r.proof.steps {
                        let k =
                            (0..proof.steps.len()).find(|k| proof.steps[*k] != r.proof.steps[*k]);
                        format!(
                            "step {k:?}: {:?} vs {:?}",
                            k.map(|k| &proof.steps[k]),
                            k.map(|k| &r.proof.steps[k])
                        )
                    } else {
                        format!("opening (total {})", bytes.len())
                    };
                    panic!("mutation at byte {pos} accepted: {which}");
                }
            }
        }
    }
    // Truncations.
    for len in [0, 3, 7, bytes.len() / 2, bytes.len() - 1] {
        assert!(Proof::from_bytes(&bytes[..len]).is_err());
    }
}

/// Compiles a guest example with the ONNX frontend.
fn guest(name: &str) -> (Program, Weights) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guest-examples/models")
        .join(name)
        .join("network.onnx");
    let c = atlas_onnx::load(&path, None)
        .expect("load")
        .compile(&atlas_onnx::CompileOptions::default())
        .expect("compile");
    (c.program, c.weights)
}

/// Setup, prove, verify a compiled model on a deterministic input; reports sizes and times.
fn model_round_trip(
    name: &str,
    program: &Program,
    weights: &Weights,
) -> (ProvingKey, VerifyingKey, Trace, Vec<Vec<i64>>, Proof) {
    let floats: Vec<Vec<f64>> = program
        .inputs
        .iter()
        .map(|&i| {
            sample(program.tensor(i).len(), 1000, 42)
                .iter()
                .map(|v| *v as f64 / 1000.0)
                .collect()
        })
        .collect();
    let inputs = atlas_onnx::quantize_inputs(program, &floats).expect("inputs");
    let t0 = std::time::Instant::now();
    let (pk, vk) = setup(program, weights).expect("setup");
    let t1 = std::time::Instant::now();
    let trace = crate::execute(program, weights, &inputs).expect("execute");
    let proof = prove(&pk, &trace, &inputs).expect("prove");
    let t2 = std::time::Instant::now();
    let outputs = trace.outputs(program);
    verify(&vk, &inputs, &outputs, &proof).expect("verify");
    let t3 = std::time::Instant::now();
    eprintln!(
        "{name}: {} instrs, setup {:?} (2^{} PCS), prove {:?}, verify {:?}, proof {} bytes",
        program.instrs.len(),
        t1 - t0,
        pk.plan.max_num_vars,
        t2 - t1,
        t3 - t2,
        proof.to_bytes().len()
    );
    (pk, vk, trace, inputs, proof)
}

#[test]
fn guest_mlp() {
    let (p, w) = guest("mlp");
    let (pk, vk, trace, inputs, proof) = model_round_trip("mlp", &p, &w);
    let outputs = trace.outputs(&p);
    let mut bad = outputs.clone();
    bad[0][0] += 1;
    assert!(verify(&vk, &inputs, &bad, &proof).is_err());
    let other = weights_for(&p, 5);
    let trace2 = crate::execute(&p, &other, &inputs).unwrap();
    let mut cheat = pk.clone();
    cheat.weights = other;
    assert!(!accepted(
        &cheat,
        &vk,
        &trace2,
        &inputs,
        &trace2.outputs(&p),
        false
    ));
}

#[test]
fn guest_cnn() {
    let (p, w) = guest("cnn");
    let (_, vk, trace, inputs, proof) = model_round_trip("cnn", &p, &w);
    let mut bad = trace.outputs(&p);
    bad[0][0] += 1;
    assert!(verify(&vk, &inputs, &bad, &proof).is_err());
}

#[test]
#[ignore]
fn list_model_instructions() {
    for path in [
        "../guest-examples/models/mlp",
        "../guest-examples/models/cnn",
        "/work/shared/models/mlp_mnist",
        "/work/shared/models/lenet5",
    ] {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(path)
            .join("network.onnx");
        if let Ok(m) = atlas_onnx::load(&p, None) {
            let c = m.compile(&Default::default()).unwrap();
            let names: Vec<String> = c
                .program
                .instrs
                .iter()
                .map(|i| format!("{}{:?}", i.name(), c.program.tensor(i.output()).shape))
                .collect();
            eprintln!("{path}: {}", names.join(" "));
        }
    }
}

/// Writes `(program, weights, inputs)` of the example and shared models to
/// `$ATLAS_DUMP_DIR` (for release-mode measurements outside the test harness).
#[test]
#[ignore]
fn dump_models() {
    let Ok(dir) = std::env::var("ATLAS_DUMP_DIR") else {
        return;
    };
    for (name, path) in [
        ("mlp", "../guest-examples/models/mlp"),
        ("cnn", "../guest-examples/models/cnn"),
        ("mlp_mnist", "/work/shared/models/mlp_mnist"),
        ("lenet5", "/work/shared/models/lenet5"),
    ] {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(path)
            .join("network.onnx");
        let Ok(m) = atlas_onnx::load(&p, None) else {
            continue;
        };
        let c = m.compile(&Default::default()).unwrap();
        let floats: Vec<Vec<f64>> = c
            .program
            .inputs
            .iter()
            .map(|&i| {
                sample(c.program.tensor(i).len(), 1000, 42)
                    .iter()
                    .map(|v| *v as f64 / 1000.0)
                    .collect()
            })
            .collect();
        let inputs = atlas_onnx::quantize_inputs(&c.program, &floats).unwrap();
        let bytes = postcard::to_allocvec(&(&c.program, &c.weights, &inputs)).unwrap();
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{name}.bin")),
            bytes,
        )
        .unwrap();
    }
}

/// The shared benchmark models, when present (slow: run with `--ignored`).
#[test]
#[ignore]
fn shared_models() {
    for name in ["mlp_mnist", "lenet5"] {
        let path = std::path::Path::new("/work/shared/models")
            .join(name)
            .join("network.onnx");
        if !path.exists() {
            eprintln!("{name}: absent, skipped");
            continue;
        }
        let c = atlas_onnx::load(&path, None)
            .unwrap()
            .compile(&Default::default())
            .unwrap();
        model_round_trip(name, &c.program, &c.weights);
    }
}

/// The values of the user-defined table `"wiggle"` on `[-40, 39]`: arbitrary integers (no
/// smooth function behind them; `f(lo) ≠ 0`).
fn wiggle_values() -> Vec<i64> {
    (-40i64..=39).map(|x| (x * 7919 + 13) % 97 - 40).collect()
}

/// x → wiggle → Neg → wiggle (the same custom table twice) → Neg; the values travel in the
/// program.
fn custom_table() -> Program {
    use Role::*;
    let wiggle = |x, out| lookup(x, out, TableFn::Custom("wiggle".into()), 4, (-40, 39));
    let mut p = program(
        vec![
            t(&[3, 5], 4, Input),        // 0
            t(&[3, 5], 4, Intermediate), // 1
            t(&[3, 5], 4, Intermediate), // 2
            t(&[3, 5], 4, Intermediate), // 3
            t(&[3, 5], 4, Output),       // 4
        ],
        vec![wiggle(0, 1), neg(1, 2), wiggle(2, 3), neg(3, 4)],
    );
    p.custom_tables.insert("wiggle".into(), wiggle_values());
    p.validate().expect("valid test program");
    p
}

#[test]
fn custom_table_completeness_and_soundness() {
    let p = custom_table();
    let r = run(&p, 12);
    let x = r.trace.value(id(0));
    assert!(x.iter().any(|v| *v < -40) && x.iter().any(|v| *v > 39));
    // The trace is the program's table.
    let values = wiggle_values();
    for (x, y) in x.iter().zip(r.trace.value(id(1))) {
        assert_eq!(*y, values[(x.clamp(&-40, &39) + 40) as usize]);
    }
    check_soundness(&p, &r);
}

#[test]
fn custom_table_values_are_bound_by_the_key() {
    let p = custom_table();
    let r = run(&p, 13);
    let outputs = r.trace.outputs(&p);
    // The entry the first input element reads, changed by one.
    let key = (r.trace.value(id(0))[0].clamp(-40, 39) + 40) as usize;
    let mut q = p.clone();
    q.custom_tables.get_mut("wiggle").unwrap()[key] += 1;

    // A verifying key whose program's table differs in that one entry (tampered after setup,
    // its plan re-derived from the tampered program) rejects the honest proof...
    let mut vk = r.vk.clone();
    vk.program = q.clone();
    let vk = VerifyingKey::from_bytes(&vk.to_bytes()).unwrap();
    assert!(verify(&vk, &r.inputs, &outputs, &r.proof).is_err());
    // ... and so does a key set up for the other table.
    let (_, vk_q) = setup(&q, &r.pk.weights).unwrap();
    assert!(verify(&vk_q, &r.inputs, &outputs, &r.proof).is_err());
    verify(&r.vk, &r.inputs, &outputs, &r.proof).unwrap();

    // A prover that executes with the other table (a wrong output for the first element) under
    // the honest keys is rejected.
    let cheat = crate::execute(&q, &r.pk.weights, &r.inputs).unwrap();
    assert_ne!(cheat.value(id(1)), r.trace.value(id(1)));
    let bad = cheat.outputs(&p);
    assert!(!accepted(&r.pk, &r.vk, &cheat, &r.inputs, &bad, false));
    assert!(r.rejects(&p, &cheat));
}

#[test]
fn custom_table_output_tampered_is_rejected() {
    let p = custom_table();
    let r = run(&p, 14);
    // One output of the first lookup off by one, the rest of the trace honest on it.
    let (mut values, witnesses) = r.parts(&p);
    values[1][7] += 1;
    values[2][7] -= 1;
    let tampered = Trace::new(values, witnesses);
    assert!(r.rejects(&p, &tampered));
    let (tampered, bad) = tamper(&p, &r, 0);
    assert!(!accepted(&r.pk, &r.vk, &tampered, &r.inputs, &bad, false));
}

#[test]
fn custom_table_without_values_is_refused_at_setup() {
    use Role::*;
    let big = (-(1i64 << 20), 1 << 20);
    let p = program(
        vec![t(&[4], 4, Input), t(&[4], 4, Output)],
        vec![lookup(0, 1, TableFn::Custom("wide".into()), 4, big)],
    );
    let e = setup(&p, &Weights::default()).unwrap_err();
    assert!(matches!(e, ProveError::Unsupported { index: 0, .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("\"wide\"") && msg.contains("1048576"), "{msg}");
    // Within the limit but not carried: also refused.
    let mut q = custom_table();
    q.custom_tables.clear();
    assert!(matches!(
        setup(&q, &Weights::default()),
        Err(ProveError::Unsupported { index: 0, .. })
    ));
}

/// DESIGN.md §7: a mutated proof verified with the honest run's challenges frozen (so that the
/// mutation cannot be caught merely by perturbing later challenges) is still rejected — every
/// field of the proof is tied to a check.
#[test]
fn mutations_are_caught_with_frozen_challenges() {
    for (name, p) in [
        ("dense layer", dense_layer()),
        ("elementwise", elementwise()),
    ] {
        let r = run(&p, 6);
        let outputs = r.trace.outputs(&p);
        let record = verify_with(
            &r.vk,
            &r.inputs,
            &outputs,
            &r.proof,
            Transcript::new_recording(PROOF_LABEL),
        )
        .unwrap()
        .take_record();
        let frozen = || Transcript::new_frozen(PROOF_LABEL, &record);
        // Replaying the challenges of an honest proof accepts it: the replay is exact.
        verify_with(&r.vk, &r.inputs, &outputs, &r.proof, frozen()).unwrap();
        // A wrong public output, with the challenges the right one produced.
        let mut wrong = outputs.clone();
        wrong[0][0] += 1;
        assert!(verify_with(&r.vk, &r.inputs, &wrong, &r.proof, frozen()).is_err());
        let bytes = r.proof.to_bytes();
        let stride = (bytes.len() / 120).max(1);
        let mut tried = 0;
        for pos in (7..bytes.len()).step_by(stride) {
            let mut b = bytes.clone();
            b[pos] ^= 0x01;
            let Ok(proof) = Proof::from_bytes(&b) else {
                continue;
            };
            tried += 1;
            assert!(
                verify_with(&r.vk, &r.inputs, &outputs, &proof, frozen()).is_err(),
                "{name}: mutation at byte {pos} of {} accepted with frozen challenges",
                bytes.len()
            );
        }
        assert!(tried > 20, "{name}: only {tried} mutations decoded");
    }
}
