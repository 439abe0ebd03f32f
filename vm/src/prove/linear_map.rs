//! Sparse 0/1 linear maps: im2col (Conv), SumPool, Slice, Concat, Pad, unaligned Reshape.
//!
//! # Relation
//!
//! `out = Σ_i M_i·in_i + c·P` for public 0/1 matrices `M_i` fixed by the instruction (a list of
//! `(x, y)` pairs of padded indices, `out[x] += in_i[y]`) and a constant `c` on the positions
//! `P` (Pad's fill). For the claim `õut(r) = v`:
//!
//! ```text
//! v − c·Σ_{x∈P} eq(r, x) = Σ_i Σ_y in_i(y)·W_i(y),      W_i(y) = Σ_{(x,y)∈M_i} eq(r, x),
//! ```
//!
//! one degree-2 sumcheck per input over its own variables (batched; with several inputs the
//! prover sends each input's share, which must add up). At the end point `s_i` the verifier
//! computes `W_i(s_i) = Σ_{(x,y)∈M_i} eq(r, x)·eq(s_i, y)` in `O(nnz(M_i))` from two eq tables,
//! and `in_i` gets the claim `ĩn_i(s_i)`. This is linear verifier work in the activation sizes.

use atlas_isa::tensor::numel;
use atlas_isa::{Instr, Program, TensorId, Window};
use jolt_core::field::{from_i64, Fr};
use jolt_core::poly::{BindingOrder, DenseMultilinear};

use super::encoding::{Ark, StepProof};
use super::layout::{eq_table, for_each_index, strides, Layout};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{step_name, Claim, Prover, Verifier, VerifyError};

/// A 0/1 matrix between two padded layouts.
#[derive(Clone, Debug)]
pub(crate) struct SparseMap {
    pub out: Layout,
    pub input: Layout,
    /// `(x, y)`: `out[x] += in[y]`, padded indices.
    pub entries: Vec<(u32, u32)>,
}

impl SparseMap {
    /// The map from row-major pairs `(out flat, in flat)`.
    pub fn from_flat(out_shape: &[usize], in_shape: &[usize], pairs: &[(usize, usize)]) -> Self {
        let out = Layout::new(out_shape);
        let input = Layout::new(in_shape);
        let po = out.padded_indices();
        let pi = input.padded_indices();
        let entries = pairs
            .iter()
            .map(|&(x, y)| (po[x] as u32, pi[y] as u32))
            .collect();
        Self {
            out,
            input,
            entries,
        }
    }

    /// `W(y) = Σ_{(x,y)} eq_r[x]` over the input's padded layout.
    pub fn weights(&self, eq_r: &[Fr]) -> Vec<Fr> {
        let mut w = vec![Fr::from(0u64); self.input.padded_len()];
        for &(x, y) in &self.entries {
            w[y as usize] += eq_r[x as usize];
        }
        w
    }

    /// `W(s) = Σ_{(x,y)} eq_r[x]·eq(s, y)`.
    pub fn weight_at(&self, eq_r: &[Fr], s: &[Fr]) -> Fr {
        let eq_s = eq_table(s);
        self.entries
            .iter()
            .map(|&(x, y)| eq_r[x as usize] * eq_s[y as usize])
            .sum()
    }
}

/// The input index read by every (output position, tap) pair of a window over the spatial
/// axes, or `None` in the padding: `index[p][k]` as a flat offset within one spatial block.
pub(crate) fn window_taps(
    window: &Window,
    spatial: &[usize],
) -> Option<(Vec<usize>, Vec<Vec<Option<usize>>>)> {
    let out_dims = window.output_dims(spatial)?;
    let st = strides(spatial);
    let mut taps = Vec::with_capacity(numel(&out_dims));
    for_each_index(&out_dims, |_, o| {
        let mut row = Vec::with_capacity(numel(&window.kernel));
        for_each_index(&window.kernel, |_, k| {
            let mut flat = 0usize;
            let mut inside = true;
            for a in 0..spatial.len() {
                let c = (o[a] * window.strides[a] + k[a] * window.dilations[a]) as isize
                    - window.pads[a].0 as isize;
                if c < 0 || c as usize >= spatial[a] {
                    inside = false;
                    break;
                }
                flat += c as usize * st[a];
            }
            row.push(inside.then_some(flat));
        });
        taps.push(row);
    });
    Some((out_dims, taps))
}

/// im2col of `x: [N, C, S…]` for `window`: the virtual tensor `X[n, c, o…, k…] = x[n, c,
/// pos(o, k)]` (zero in the padding). Returns its shape and the map `x → X`.
pub(crate) fn im2col(x_shape: &[usize], window: &Window) -> Option<(Vec<usize>, SparseMap)> {
    let (n, c) = (x_shape[0], x_shape[1]);
    let spatial = &x_shape[2..];
    let (out_dims, taps) = window_taps(window, spatial)?;
    let block = numel(spatial);
    let (positions, ntaps) = (taps.len(), numel(&window.kernel));
    let mut shape = vec![n, c];
    shape.extend(&out_dims);
    shape.extend(&window.kernel);
    let mut pairs = Vec::new();
    for nc in 0..n * c {
        for (p, row) in taps.iter().enumerate() {
            for (k, t) in row.iter().enumerate() {
                if let Some(t) = t {
                    pairs.push(((nc * positions + p) * ntaps + k, nc * block + t));
                }
            }
        }
    }
    Some((shape.clone(), SparseMap::from_flat(&shape, x_shape, &pairs)))
}

/// The inputs and maps of a linear-map instruction, and its constant part `(c, positions)`.
pub(crate) struct MapRelation {
    pub maps: Vec<(TensorId, SparseMap)>,
    pub constant: Option<(i64, Vec<u32>)>,
}

/// Builds the relation of instruction `index` (identical on both sides).
pub(crate) fn relation(program: &Program, index: usize) -> MapRelation {
    let instr = &program.instrs[index];
    let out_shape = program.tensor(instr.output()).shape.clone();
    let shape = |id: &TensorId| program.tensor(*id).shape.clone();
    let single = |x: &TensorId, pairs: Vec<(usize, usize)>| MapRelation {
        maps: vec![(*x, SparseMap::from_flat(&out_shape, &shape(x), &pairs))],
        constant: None,
    };
    match instr {
        Instr::Reshape { x, .. } => single(x, (0..numel(&out_shape)).map(|i| (i, i)).collect()),
        Instr::SumPool { x, window, .. } => {
            let xs = shape(x);
            let (_, taps) = window_taps(window, &xs[2..]).expect("validated window");
            let block = numel(&xs[2..]);
            let mut pairs = Vec::new();
            for nc in 0..xs[0] * xs[1] {
                for (p, row) in taps.iter().enumerate() {
                    for t in row.iter().flatten() {
                        pairs.push((nc * taps.len() + p, nc * block + t));
                    }
                }
            }
            single(x, pairs)
        }
        Instr::Slice {
            x,
            axis,
            start,
            step,
            ..
        } => {
            let xst = strides(&shape(x));
            let mut pairs = Vec::new();
            for_each_index(&out_shape, |flat, idx| {
                let src: usize = idx
                    .iter()
                    .enumerate()
                    .map(|(a, &i)| {
                        if a == *axis {
                            (start + i * step) * xst[a]
                        } else {
                            i * xst[a]
                        }
                    })
                    .sum();
                pairs.push((flat, src));
            });
            single(x, pairs)
        }
        Instr::Concat { xs, axis, .. } => {
            let ost = strides(&out_shape);
            let mut offset = 0;
            let maps = xs
                .iter()
                .map(|x| {
                    let s = shape(x);
                    let mut pairs = Vec::new();
                    for_each_index(&s, |flat, idx| {
                        let dst: usize = idx
                            .iter()
                            .enumerate()
                            .map(|(a, &i)| {
                                if a == *axis {
                                    (offset + i) * ost[a]
                                } else {
                                    i * ost[a]
                                }
                            })
                            .sum();
                        pairs.push((dst, flat));
                    });
                    offset += s[*axis];
                    (*x, SparseMap::from_flat(&out_shape, &s, &pairs))
                })
                .collect();
            MapRelation {
                maps,
                constant: None,
            }
        }
        Instr::Pad { x, pads, value, .. } => {
            let s = shape(x);
            let ost = strides(&out_shape);
            let mut pairs = Vec::new();
            let mut inside = vec![false; numel(&out_shape)];
            for_each_index(&s, |flat, idx| {
                let dst: usize = idx
                    .iter()
                    .enumerate()
                    .map(|(a, &i)| (i + pads[a].0) * ost[a])
                    .sum();
                inside[dst] = true;
                pairs.push((dst, flat));
            });
            let po = Layout::new(&out_shape).padded_indices();
            let fill: Vec<u32> = (0..inside.len())
                .filter(|&i| !inside[i])
                .map(|i| po[i] as u32)
                .collect();
            MapRelation {
                maps: vec![(*x, SparseMap::from_flat(&out_shape, &s, &pairs))],
                constant: (*value != 0).then_some((*value, fill)),
            }
        }
        _ => unreachable!("dispatched on a linear-map instruction"),
    }
}

/// `v − c·Σ_{x∈P} eq_r[x]`.
fn target(rel: &MapRelation, eq_r: &[Fr], v: Fr) -> Fr {
    match &rel.constant {
        Some((c, positions)) => {
            let s: Fr = positions.iter().map(|x| eq_r[*x as usize]).sum();
            v - from_i64(*c) * s
        }
        None => v,
    }
}

/// Proves `claim` on a map's output given the input's values: returns the sumcheck proof and
/// the claim on the input. Shared with Conv's im2col.
pub(crate) fn prove_single(
    p: &mut Prover<'_>,
    map: &SparseMap,
    input: &[i64],
    claim: &Claim,
) -> (Ark<jolt_core::sumcheck::BatchedSumcheckProof>, Claim) {
    let eq_r = eq_table(&claim.point);
    let factors = vec![
        map.input.dense(input),
        DenseMultilinear::new_padded(map.weights(&eq_r), map.input.num_vars),
    ];
    let (proof, finals) =
        prove_products(vec![(factors, BindingOrder::LowToHigh)], &mut p.transcript);
    let (point, values) = finals.into_iter().next().expect("one instance");
    (
        Ark(proof),
        Claim {
            point,
            value: values[0],
        },
    )
}

/// Verifier of [`prove_single`].
pub(crate) fn verify_single(
    v: &mut Verifier<'_>,
    map: &SparseMap,
    claim: &Claim,
    proof: &jolt_core::sumcheck::BatchedSumcheckProof,
    name: &str,
) -> Result<Claim, VerifyError> {
    let eq_r = eq_table(&claim.point);
    let statement = ProductStatement {
        claim: claim.value,
        num_rounds: map.input.num_vars,
        num_factors: 2,
        order: BindingOrder::LowToHigh,
        public: Box::new(|s: &[Fr]| vec![None, Some(map.weight_at(&eq_r, s))]),
    };
    let finals = verify_products(&[statement], proof, &mut v.transcript, name)?;
    let (point, values) = finals.into_iter().next().expect("one instance");
    Ok(Claim {
        point,
        value: values[0],
    })
}

/// Prover of a linear-map instruction.
#[tracing::instrument(skip_all, name = "linear_map::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) {
    let rel = relation(p.program, index);
    let eq_r = eq_table(&claim.point);
    let mut step = StepProof::default();
    if rel.maps.len() == 1 {
        let (id, map) = &rel.maps[0];
        let c = Claim {
            point: claim.point.clone(),
            value: target(&rel, &eq_r, claim.value),
        };
        let trace = p.trace;
        let (proof, input_claim) = prove_single(p, map, trace.value(*id), &c);
        step.sumchecks.push(proof);
        p.steps.push(step);
        p.claim(*id, input_claim.point, input_claim.value);
        return;
    }
    let mut instances = Vec::new();
    let mut shares = Vec::new();
    for (id, map) in &rel.maps {
        let input = map.input.dense(p.value(*id));
        let w = DenseMultilinear::new_padded(map.weights(&eq_r), map.input.num_vars);
        shares.push(
            input
                .evals()
                .iter()
                .zip(w.evals())
                .map(|(a, b)| *a * b)
                .sum(),
        );
        instances.push((vec![input, w], BindingOrder::LowToHigh));
    }
    p.send(&mut step, &shares);
    let (proof, finals) = prove_products(instances, &mut p.transcript);
    step.sumchecks.push(Ark(proof));
    p.steps.push(step);
    for ((id, _), (point, values)) in rel.maps.iter().zip(finals) {
        p.claim(*id, point, values[0]);
    }
}

/// Verifier of a linear-map instruction.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let rel = relation(v.program, index);
    let name = step_name(v.program, index);
    let eq_r = eq_table(&claim.point);
    let goal = target(&rel, &eq_r, claim.value);
    if rel.maps.len() == 1 {
        let step = v.step(&name, 0, 1, false)?;
        let (id, map) = &rel.maps[0];
        let c = Claim {
            point: claim.point,
            value: goal,
        };
        let input_claim = verify_single(v, map, &c, &step.sumchecks[0].0, &name)?;
        v.claim(*id, input_claim.point, input_claim.value);
        return Ok(());
    }
    let step = v.step(&name, rel.maps.len(), 1, false)?;
    let shares: Vec<Fr> = step.values.iter().map(|x| x.0).collect();
    if shares.iter().copied().sum::<Fr>() != goal {
        return Err(VerifyError::Check {
            step: name,
            what: "the inputs' shares do not add up to the output claim",
        });
    }
    let statements: Vec<ProductStatement<'_>> = rel
        .maps
        .iter()
        .zip(&shares)
        .map(|((_, map), share)| {
            let eq_r = &eq_r;
            ProductStatement {
                claim: *share,
                num_rounds: map.input.num_vars,
                num_factors: 2,
                order: BindingOrder::LowToHigh,
                public: Box::new(move |s: &[Fr]| vec![None, Some(map.weight_at(eq_r, s))]),
            }
        })
        .collect();
    let finals = verify_products(&statements, &step.sumchecks[0].0, &mut v.transcript, &name)?;
    for ((id, _), (point, values)) in rel.maps.iter().zip(finals) {
        v.claim(*id, point, values[0]);
    }
    Ok(())
}
