//! Contractions: Einsum, Mul (broadcast), ReduceSum, and Conv (im2col, then a contraction).
//!
//! # Relation
//!
//! `out[o] = Σ_{labels not in out} Π_k op_k[…]` over labelled axes (one or two operands). For
//! the claim `õut(r) = v`, each label `c` of extent `n_c > 1` is one of
//!
//! * **fixed** — in `out` and in exactly one operand (with extent `n_c`): that operand's
//!   variables for `c` are fixed to `out`'s sub-point `r_c` (the prover partially evaluates);
//! * **batch** — in `out` and in several operands: a sumcheck variable with a factor
//!   `eq(r_c, y_c)`;
//! * **summed** — not in `out`: a sumcheck variable.
//!
//! With `y` the batch and summed variables,
//!
//! ```text
//! v = Σ_y eq(r_batch, y_batch)·Π_k op'_k(y),     op'_k(y) = õp_k(r_fixed(k), y_k),
//! ```
//!
//! a sumcheck of degree `#operands + 1` (eq omitted without batch labels). An operand that
//! lacks a sumcheck label (or has extent 1 on it: broadcast) does not depend on it and is
//! replicated along it. The zero padding makes sums over padded ranges equal the real sums. At
//! the end point `s` each operand gets the claim `õp_k(r_fixed(k), s_k)`; the verifier
//! computes the eq factor itself.
//!
//! * **Mul** is the contraction with every axis of `out` a label (right-aligned broadcasting).
//! * **ReduceSum** is the one-operand contraction (degree 1).
//! * **Conv** is `out[n,m,o…] = Σ_{c,k…} X[n,c,o…,k…]·w[m,c,k…]` over the im2col tensor `X` of
//!   `x`, which stays virtual: its claim is reduced to one on `x` by the sparse linear map of
//!   [`super::linear_map`]. With `G` groups the channel axes are viewed as
//!   `(group, channel)`, the group a batch label (`group_views`): depthwise and other grouped
//!   convolutions whose channels per group are powers of two.

use atlas_isa::Instr;
use jolt_core::field::Fr;
use jolt_core::poly::{BindingOrder, DenseMultilinear, EqPolynomial};

use super::encoding::{Ark, StepProof};
use super::layout::{assemble, axis_bits, eq_table, for_each_index, Layout};
use super::linear_map::{im2col, prove_single, verify_single, SparseMap};
use super::product::{prove_products, verify_products, ProductStatement};
use super::{step_name, Claim, ProveError, Prover, Verifier, VerifyError};

/// What an operand axis is to the sumcheck.
#[derive(Clone, Copy, Debug)]
enum Role {
    /// Extent 1: no variables.
    Unit,
    /// Fixed to `out`'s sub-point of this axis.
    Fixed(usize),
    /// Sumcheck variables `y[offset..offset + bits]`.
    Var(usize, usize),
}

/// The shape of one contraction, shared by prover and verifier.
#[derive(Clone, Debug)]
pub(crate) struct Contraction {
    out: Layout,
    ops: Vec<Layout>,
    /// Per operand, per axis.
    roles: Vec<Vec<Role>>,
    /// Batch labels: `(offset, bits, out axis)`.
    batch: Vec<(usize, usize, usize)>,
    /// Every sumcheck label: `(offset, bits)`.
    vars: Vec<(usize, usize)>,
    num_vars: usize,
}

impl Contraction {
    /// The contraction `out[out_labels] = Σ Π_k op_k[labels_k]`, or why it is not supported.
    pub fn new(
        out_shape: &[usize],
        out_labels: &[char],
        ops: &[(Vec<usize>, Vec<char>)],
    ) -> Result<Self, String> {
        let mut labels: Vec<char> = Vec::new();
        for c in ops.iter().flat_map(|(_, l)| l.iter()).chain(out_labels) {
            if !labels.contains(c) {
                labels.push(*c);
            }
        }
        let extent = |c: char| -> usize {
            ops.iter()
                .flat_map(|(s, l)| s.iter().zip(l))
                .chain(out_shape.iter().zip(out_labels))
                .filter(|(_, l)| **l == c)
                .map(|(d, _)| *d)
                .max()
                .unwrap_or(1)
        };
        let mut roles: Vec<Vec<Role>> =
            ops.iter().map(|(s, _)| vec![Role::Unit; s.len()]).collect();
        let mut batch = Vec::new();
        let mut vars = Vec::new();
        let mut offset = 0;
        let out = Layout::new(out_shape);
        for c in labels {
            let n = extent(c);
            if n <= 1 {
                continue;
            }
            let mut present = Vec::new();
            for (k, (s, l)) in ops.iter().enumerate() {
                let axes: Vec<usize> = (0..l.len()).filter(|&a| l[a] == c).collect();
                if axes.len() > 1 {
                    return Err(format!("label {c} repeats within an operand"));
                }
                if let Some(&a) = axes.first() {
                    if s[a] == n {
                        present.push((k, a));
                    } else if s[a] != 1 {
                        return Err(format!("label {c} has extents {} and {n}", s[a]));
                    }
                }
            }
            let out_axis = out_labels.iter().position(|l| *l == c);
            if out_axis.is_some_and(|a| out_shape[a] != n) {
                return Err(format!("output extent of label {c} is not {n}"));
            }
            match (out_axis, present.len()) {
                (_, 0) => return Err(format!("label {c} is in no operand")),
                (Some(a), 1) => {
                    let (k, axis) = present[0];
                    roles[k][axis] = Role::Fixed(a);
                }
                (out_axis, _) => {
                    let bits = axis_bits(n);
                    for &(k, axis) in &present {
                        roles[k][axis] = Role::Var(offset, bits);
                    }
                    if let Some(a) = out_axis {
                        batch.push((offset, bits, a));
                    }
                    vars.push((offset, bits));
                    offset += bits;
                }
            }
        }
        Ok(Self {
            out,
            ops: ops.iter().map(|(s, _)| Layout::new(s)).collect(),
            roles,
            batch,
            vars,
            num_vars: offset,
        })
    }

    fn num_factors(&self) -> usize {
        self.ops.len() + usize::from(!self.batch.is_empty())
    }

    /// `eq(r_batch, y_batch)` over all of `y`.
    fn eq_batch(&self, r: &[Fr]) -> Vec<Fr> {
        let mut t = vec![Fr::from(1u64); 1 << self.num_vars];
        for &(off, bits, axis) in &self.batch {
            let e = eq_table(self.out.sub_point(r, axis));
            let mask = (1usize << bits) - 1;
            for (y, v) in t.iter_mut().enumerate() {
                *v *= e[(y >> off) & mask];
            }
        }
        t
    }

    /// `op'_k(y)`: operand `k` with its fixed variables evaluated at `r`, replicated along the
    /// sumcheck labels it lacks.
    fn partial(&self, k: usize, values: &[i64], r: &[Fr]) -> Vec<Fr> {
        let layout = &self.ops[k];
        let roles = &self.roles[k];
        let fixed: Vec<Option<Vec<Fr>>> = roles
            .iter()
            .map(|role| match role {
                Role::Fixed(a) => Some(eq_table(self.out.sub_point(r, *a))),
                _ => None,
            })
            .collect();
        let mut t = vec![Fr::from(0u64); 1 << self.num_vars];
        for_each_index(&layout.dims, |flat, idx| {
            let v = values[flat];
            if v == 0 {
                return;
            }
            let mut pos = 0usize;
            let mut w = jolt_core::field::from_i64(v);
            for (a, role) in roles.iter().enumerate() {
                match role {
                    Role::Unit => {}
                    Role::Var(off, _) => pos |= idx[a] << off,
                    Role::Fixed(_) => {
                        w *= fixed[a].as_ref().expect("fixed axis has a table")[idx[a]]
                    }
                }
            }
            t[pos] += w;
        });
        // Replicate along the labels this operand lacks.
        for &(off, bits) in &self.vars {
            let owned = roles
                .iter()
                .any(|role| matches!(role, Role::Var(o, _) if *o == off));
            if owned {
                continue;
            }
            let mask = ((1usize << bits) - 1) << off;
            for y in 0..t.len() {
                if y & mask != 0 {
                    t[y] = t[y & !mask];
                }
            }
        }
        t
    }

    /// Operand `k`'s claim point, for the output point `r` and the sumcheck point `s`.
    fn operand_point(&self, k: usize, r: &[Fr], s: &[Fr]) -> Vec<Fr> {
        let subs: Vec<Vec<Fr>> = self.roles[k]
            .iter()
            .map(|role| match role {
                Role::Unit => Vec::new(),
                Role::Fixed(a) => self.out.sub_point(r, *a).to_vec(),
                Role::Var(off, bits) => s[*off..off + bits].to_vec(),
            })
            .collect();
        assemble(&self.ops[k], &subs)
    }

    /// Proves `õut(r) = v` from the operands' values; returns the proof and the operand claims.
    fn prove(
        &self,
        p: &mut Prover<'_>,
        values: &[&[i64]],
        claim: &Claim,
    ) -> (Ark<jolt_core::sumcheck::BatchedSumcheckProof>, Vec<Claim>) {
        let r = &claim.point;
        let mut factors = Vec::new();
        if !self.batch.is_empty() {
            factors.push(DenseMultilinear::new_padded(
                self.eq_batch(r),
                self.num_vars,
            ));
        }
        for (k, v) in values.iter().enumerate() {
            factors.push(DenseMultilinear::new_padded(
                self.partial(k, v, r),
                self.num_vars,
            ));
        }
        let (proof, finals) =
            prove_products(vec![(factors, BindingOrder::LowToHigh)], &mut p.transcript);
        let (s, finals) = finals.into_iter().next().expect("one instance");
        let skip = usize::from(!self.batch.is_empty());
        let claims = (0..self.ops.len())
            .map(|k| Claim {
                point: self.operand_point(k, r, &s),
                value: finals[skip + k],
            })
            .collect();
        (Ark(proof), claims)
    }

    /// Verifier of [`Self::prove`].
    fn verify(
        &self,
        v: &mut Verifier<'_>,
        claim: &Claim,
        proof: &jolt_core::sumcheck::BatchedSumcheckProof,
        name: &str,
    ) -> Result<Vec<Claim>, VerifyError> {
        let r = &claim.point;
        let has_batch = !self.batch.is_empty();
        let statement = ProductStatement {
            claim: claim.value,
            num_rounds: self.num_vars,
            num_factors: self.num_factors(),
            order: BindingOrder::LowToHigh,
            public: Box::new(|s: &[Fr]| {
                let mut out = Vec::new();
                if has_batch {
                    let e = self
                        .batch
                        .iter()
                        .map(|&(off, bits, a)| {
                            EqPolynomial::evaluate(self.out.sub_point(r, a), &s[off..off + bits])
                        })
                        .product();
                    out.push(Some(e));
                }
                out.extend(std::iter::repeat_n(None, self.ops.len()));
                out
            }),
        };
        let finals = verify_products(&[statement], proof, &mut v.transcript, name)?;
        let (s, finals) = finals.into_iter().next().expect("one instance");
        let skip = usize::from(has_batch);
        Ok((0..self.ops.len())
            .map(|k| Claim {
                point: self.operand_point(k, r, &s),
                value: finals[skip + k],
            })
            .collect())
    }
}

/// Labels `a, b, c, …` for `n` axes.
fn letters(n: usize, first: u8) -> Vec<char> {
    (0..n).map(|i| (first + i as u8) as char).collect()
}

/// The contraction of instruction `index`, and for Conv the im2col map.
pub(crate) fn plan(
    program: &atlas_isa::Program,
    index: usize,
) -> Result<(Contraction, Option<SparseMap>), String> {
    let instr = &program.instrs[index];
    let shape = |id: &atlas_isa::TensorId| program.tensor(*id).shape.clone();
    let out_shape = shape(&instr.output());
    match instr {
        Instr::Einsum { a, b, spec, .. } => Ok((
            Contraction::new(
                &out_shape,
                &spec.out.chars().collect::<Vec<_>>(),
                &[
                    (shape(a), spec.a.chars().collect()),
                    (shape(b), spec.b.chars().collect()),
                ],
            )?,
            None,
        )),
        Instr::Mul { a, b, .. } => {
            let labels = letters(out_shape.len(), b'a');
            let tail = |n: usize| labels[labels.len() - n..].to_vec();
            let (sa, sb) = (shape(a), shape(b));
            let ops = [(sa.clone(), tail(sa.len())), (sb.clone(), tail(sb.len()))];
            Ok((Contraction::new(&out_shape, &labels, &ops)?, None))
        }
        Instr::ReduceSum {
            x, axes, keep_dims, ..
        } => {
            let sx = shape(x);
            let labels = letters(sx.len(), b'a');
            let out_labels: Vec<char> = (0..sx.len())
                .filter_map(|i| match (axes.contains(&i), keep_dims) {
                    (false, _) => Some(labels[i]),
                    (true, true) => Some((b'A' + i as u8) as char),
                    (true, false) => None,
                })
                .collect();
            Ok((
                Contraction::new(&out_shape, &out_labels, &[(sx, labels)])?,
                None,
            ))
        }
        Instr::Conv {
            x,
            w,
            window,
            group,
            ..
        } => {
            let sx = shape(x);
            let d = sx.len() - 2;
            if d > 5 {
                return Err("more than 5 spatial axes".into());
            }
            let (col_shape, map) =
                im2col(&sx, window).ok_or_else(|| "window does not fit".to_string())?;
            let o = letters(d, b'o');
            let k = letters(d, b'u');
            let (col_shape, w_shape, out_shape, [col_head, w_head, out_head]) =
                group_views(col_shape, shape(w), out_shape, *group)?;
            let labels = |head: &[char], tail: &[Vec<char>]| -> Vec<char> {
                head.iter().copied().chain(tail.concat()).collect()
            };
            Ok((
                Contraction::new(
                    &out_shape,
                    &labels(out_head, std::slice::from_ref(&o)),
                    &[
                        (col_shape, labels(col_head, &[o, k.clone()])),
                        (w_shape, labels(w_head, &[k])),
                    ],
                )?,
                Some(map),
            ))
        }
        _ => unreachable!("dispatched on a contraction"),
    }
}

/// Conv's im2col tensor `X[n, c, o…, k…]`, kernel `w[m, c_g, k…]` and output `out[n, m, o…]`
/// as the shapes and leading labels of its contraction. With `G > 1` groups the channel axes
/// split into `(group, channel within the group)`: `X[n, g, c, o…, k…]`, `w[g, m, c, k…]`,
/// `out[n, g, m, o…]`, `g` a batch label. Splitting an axis of `G·e` entries into `(G, e)`
/// keeps the multilinear extension (and every point on it) when `e` is a power of two: the
/// axis's padded index is then `g·e + i`, its low `log e` bits being `i`. Other splits are
/// refused.
#[allow(clippy::type_complexity)]
fn group_views(
    col: Vec<usize>,
    w: Vec<usize>,
    out: Vec<usize>,
    group: usize,
) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>, [&'static [char]; 3]), String> {
    if group == 1 {
        return Ok((col, w, out, [&['n', 'c'], &['m', 'c'], &['n', 'm']]));
    }
    let (channels, maps) = (col[1], out[1]);
    if group == 0 || channels % group != 0 || maps % group != 0 || w[1] * group != channels {
        return Err(format!(
            "{group} groups do not divide {channels} input and {maps} output channels"
        ));
    }
    let (per_in, per_out) = (channels / group, maps / group);
    if !per_in.is_power_of_two() || !per_out.is_power_of_two() {
        return Err(format!(
            "grouped convolution with {per_in} input and {per_out} output channels per group \
             (only powers of two are proven)"
        ));
    }
    let split = |shape: &[usize], axis: usize, head: [usize; 2]| -> Vec<usize> {
        let mut s = shape[..axis].to_vec();
        s.extend(head);
        s.extend_from_slice(&shape[axis + 1..]);
        s
    };
    Ok((
        split(&col, 1, [group, per_in]),
        split(&w, 0, [group, per_out]),
        split(&out, 1, [group, per_out]),
        [&['n', 'g', 'c'], &['g', 'm', 'c'], &['n', 'g', 'm']],
    ))
}

/// Values of Conv's im2col tensor.
pub(crate) fn im2col_values(map: &SparseMap, x: &[i64]) -> Vec<i64> {
    // Invert the padded indices of both layouts to read the pairs row-major.
    let col_idx = map.out.padded_indices();
    let x_idx = map.input.padded_indices();
    let mut by_padded_x = vec![0i64; map.input.padded_len()];
    for (v, i) in x.iter().zip(&x_idx) {
        by_padded_x[*i] = *v;
    }
    let mut col_padded = vec![0i64; map.out.padded_len()];
    for &(c, i) in &map.entries {
        col_padded[c as usize] = by_padded_x[i as usize];
    }
    col_idx.iter().map(|i| col_padded[*i]).collect()
}

/// Prover of a contraction instruction.
#[tracing::instrument(skip_all, name = "contraction::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let program = p.program;
    let trace = p.trace;
    let (c, map) = plan(program, index).map_err(|reason| ProveError::Unsupported {
        index,
        op: program.instrs[index].name(),
        reason,
    })?;
    let inputs = program.instrs[index].inputs();
    let mut step = StepProof::default();
    match map {
        None => {
            let values: Vec<&[i64]> = inputs.iter().map(|id| trace.value(*id)).collect();
            let (proof, claims) = c.prove(p, &values, &claim);
            step.sumchecks.push(proof);
            p.steps.push(step);
            for (id, cl) in inputs.iter().zip(claims) {
                p.claim(*id, cl.point, cl.value);
            }
        }
        Some(map) => {
            let (x, w) = (inputs[0], inputs[1]);
            let col = im2col_values(&map, trace.value(x));
            let (proof, claims) = c.prove(p, &[&col, trace.value(w)], &claim);
            step.sumchecks.push(proof);
            let (proof, x_claim) = prove_single(p, &map, trace.value(x), &claims[0]);
            step.sumchecks.push(proof);
            p.steps.push(step);
            p.claim(w, claims[1].point.clone(), claims[1].value);
            p.claim(x, x_claim.point, x_claim.value);
        }
    }
    Ok(())
}

/// Verifier of a contraction instruction.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let program = v.program;
    let name = step_name(program, index);
    let (c, map) = plan(program, index).map_err(|e| VerifyError::Key(format!("{name}: {e}")))?;
    let inputs = program.instrs[index].inputs();
    match map {
        None => {
            let step = v.step(&name, 0, 1, false)?;
            let claims = c.verify(v, &claim, &step.sumchecks[0].0, &name)?;
            for (id, cl) in inputs.iter().zip(claims) {
                v.claim(*id, cl.point, cl.value);
            }
        }
        Some(map) => {
            let step = v.step(&name, 0, 2, false)?;
            let claims = c.verify(v, &claim, &step.sumchecks[0].0, &name)?;
            let x_claim = verify_single(v, &map, &claims[0], &step.sumchecks[1].0, &name)?;
            v.claim(inputs[1], claims[1].point.clone(), claims[1].value);
            v.claim(inputs[0], x_claim.point, x_claim.value);
        }
    }
    Ok(())
}
