//! Lookups: the static plan of every lookup instance, and the element-wise table relation.
//!
//! # Relation (table lookups)
//!
//! For `out = f(x)` element-wise over the padded layout of `x` (`T = 2^m` positions, padding
//! included), the prover commits the key `k_j` of every position as one-hot chunks (up front)
//! and Shout proves, for the claim `õut(r) = v`,
//!
//! ```text
//! v = Σ_j eq(r, j)·Val(k_j),        raf = Σ_j eq(r, j)·Op(k_j)
//! ```
//!
//! and `raf` becomes the claim `x̃(r) = raf`. Padding positions hold `x = 0`, whose key is
//! `key(0)`; every supported table has `f(0) = 0`, so the padding of `out` is zero as the
//! layout requires, with no validity factor.
//!
//! **ReLU** uses atlas-lookups' 32-bit two's-complement ReLU table: its operand map reads the
//! key as a signed 32-bit integer, `Op(k) = Σ_{b<31} 2^b k_b − 2^31 k_31`, so the RAF relation
//! is linear in `x` and `Op` is injective: the lookup also proves `x ∈ [−2^31, 2^31)`.
//!
//! **Range checks** (rescale remainders) are lookups into `[0, 2^k)` with `Val = Op = id`; see
//! [`super::rescale`].

use atlas_isa::table::LEAKY_ALPHA_BITS;
use atlas_isa::{Instr, Program, Role, TableFn};
use atlas_lookups::shout::{
    self, Chunking, CycleWeights, Lookups, ReadClaim, ShoutCommitments, ShoutParams, ShoutProof,
    ShoutWitness, WeightTerm,
};
use atlas_lookups::tables::{ClampedTable, RangeTable, ReluTable};
use atlas_lookups::LookupTable;
use jolt_core::field::{from_i64, Fr};
use jolt_core::pcs::dory::{DoryCommitment, DoryScheme};
use jolt_core::poly::DenseMultilinear;
use jolt_core::transcript::Transcript;

use super::encoding::{Ark, LookupProof, ShoutPart, StepProof};
use super::layout::{to_field, valid_axis, Layout};
use super::{
    open_advice, step_name, Claim, OpeningClaim, Poly, ProveError, Prover, Verifier, VerifyError,
};
use crate::trace::{InstrWitness, Trace};

/// Width of the one-hot chunks: `K_c = 2^4` addresses per chunk keeps the committed chunk
/// tables at `16·T` entries (the opening reduction touches them densely).
pub const LOG_CHUNK: usize = 4;

/// Largest shared instance (in lookups) that several uses are packed into: its one-hot chunks
/// have `2^(4 + 16)` entries, so the final Dory opening stays at `σ ≤ 10`.
pub const MAX_SHARED_LOG_T: usize = 16;

/// Largest advice bin, in variables (see `Plan::advice_bins`).
pub const MAX_ADVICE_BIN_VARS: usize = 20;

/// Packs tables of `2^vars[i]` entries into bins of at most `2^cap` entries (first-fit, largest
/// first, so that every offset is a multiple of its table's size; a larger table gets a bin of
/// its own). Returns each bin's number of variables and each table's `(bin, offset)`.
pub(crate) fn pack(vars: &[usize], cap: usize) -> (Vec<usize>, Vec<(usize, usize)>) {
    let mut order: Vec<usize> = (0..vars.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(vars[*i]));
    let mut filled: Vec<usize> = Vec::new();
    let mut slot = vec![(0, 0); vars.len()];
    for i in order {
        let size = 1usize << vars[i];
        match filled.iter().position(|f| *f + size <= 1 << cap) {
            Some(b) => {
                slot[i] = (b, filled[b]);
                filled[b] += size;
            }
            None => {
                slot[i] = (filled.len(), 0);
                filled.push(size);
            }
        }
    }
    let bins = filled
        .iter()
        .map(|f| f.next_power_of_two().trailing_zeros() as usize)
        .collect();
    (bins, slot)
}

/// The table of a lookup instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TableKind {
    /// Range check `[0, 2^k)`.
    Range(RangeTable),
    /// 32-bit ReLU.
    Relu(ReluTable),
    /// A smooth function on its clamped domain, materialized ([`super::smooth`]).
    Clamped(ClampedTable),
}

impl TableKind {
    pub fn table(&self) -> &dyn LookupTable {
        match self {
            TableKind::Range(t) => t,
            TableKind::Relu(t) => t,
            TableKind::Clamped(t) => t,
        }
    }

    /// The same check on `bits`-bit keys, when this table may be narrowed to that width (see
    /// [`Plan::narrowed`]): a range check or a ReLU of at least [`NARROWABLE_BITS`] bits, to a
    /// multiple of [`LOG_CHUNK`] from [`LOG_CHUNK`] up to its own width.
    fn narrowed(&self, bits: usize) -> Option<TableKind> {
        let own = self.table().log_k();
        if own < NARROWABLE_BITS || bits > own || bits < LOG_CHUNK || bits % LOG_CHUNK != 0 {
            return None;
        }
        match self {
            TableKind::Range(_) => RangeTable::new(bits).ok().map(TableKind::Range),
            TableKind::Relu(_) => ReluTable::new(bits).ok().map(TableKind::Relu),
            TableKind::Clamped(_) => None,
        }
    }

    /// The narrowest width [`TableKind::narrowed`] accepts that holds every key (given on
    /// this table's own width), or the table's own width.
    fn fitting_bits(&self, keys: &[u64]) -> usize {
        let own = self.table().log_k();
        let needed = match self {
            TableKind::Range(_) => keys.iter().map(|k| 64 - k.leading_zeros() as usize).max(),
            // Two's-complement keys of `own` bits: the signed value needs its magnitude's bits
            // and a sign bit.
            TableKind::Relu(_) => keys
                .iter()
                .map(|k| {
                    let signed = ((k << (64 - own)) as i64) >> (64 - own);
                    let magnitude = if signed < 0 { !signed } else { signed };
                    65 - magnitude.leading_zeros() as usize
                })
                .max(),
            TableKind::Clamped(_) => None,
        };
        needed
            .map(|n| n.next_multiple_of(LOG_CHUNK).max(LOG_CHUNK))
            .filter(|bits| self.narrowed(*bits).is_some())
            .unwrap_or(own)
    }
}

/// Tables of at least this many key bits (32-bit range checks of comparison and softmax gaps,
/// 32-bit ReLU operands) may be narrowed by the prover to the width its keys need.
pub const NARROWABLE_BITS: usize = 24;

/// One use of a lookup table by an instruction: its table and its padded number of lookups
/// (the instruction's relation reads it through [`prove_reads`] / [`verify_reads`]).
#[derive(Clone, Debug)]
pub(crate) struct LookupInstance {
    pub instr: usize,
    /// Which lookup of the instruction this is (Clip has two).
    pub operand: usize,
    pub table: TableKind,
    /// The use's own shape (`log_t` is its segment's size).
    pub params: ShoutParams,
}

/// A Shout instance shared by every use of one table: the uses' keys are laid out side by
/// side, each in an aligned segment (largest first), and padded to a power of two.
#[derive(Clone, Debug)]
pub(crate) struct SharedInstance {
    pub table: TableKind,
    /// The committed shape (`log_t` of the whole instance).
    pub params: ShoutParams,
    /// `(use, offset)` of every segment, in plan order of the uses.
    pub segments: Vec<(usize, usize)>,
}

/// What the program commits besides the weights, derived from the program alone (both sides).
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// Per instruction, the index of its advice polynomial (rescales with `shift ≥ 1`).
    pub advice_of: Vec<Option<usize>>,
    /// Number of variables of each advice polynomial.
    pub advice_vars: Vec<usize>,
    /// Number of variables of each committed advice bin: the advice polynomials are packed
    /// side by side into bins of at most `2^MAX_ADVICE_BIN_VARS` entries (one commitment each).
    pub advice_bins: Vec<usize>,
    /// Per advice polynomial, its bin and offset (a multiple of its size).
    pub advice_slot: Vec<(usize, usize)>,
    /// Per instruction, the index of its lookup instance.
    pub lookup_of: Vec<Option<usize>>,
    /// Every lookup use, in program order.
    pub lookups: Vec<LookupInstance>,
    /// The committed Shout instances, one per distinct table, in order of first use.
    pub shared: Vec<SharedInstance>,
    /// Per use, its shared instance and segment offset.
    pub slot_of: Vec<(usize, usize)>,
    /// The largest committed table's number of variables (at least 1): sizes the PCS setup.
    pub max_num_vars: usize,
    /// The smooth lookups proven without their clamp (sorted instruction indices; see
    /// [`Plan::with_unclamped`]).
    pub unclamped: Vec<usize>,
}

impl Plan {
    /// Plans the program's commitments; fails on instructions the prover does not support.
    pub fn new(program: &Program) -> Result<Self, ProveError> {
        let n = program.instrs.len();
        let mut plan = Plan {
            advice_of: vec![None; n],
            advice_vars: Vec::new(),
            advice_bins: Vec::new(),
            advice_slot: Vec::new(),
            lookup_of: vec![None; n],
            lookups: Vec::new(),
            shared: Vec::new(),
            slot_of: Vec::new(),
            max_num_vars: 1,
            unclamped: Vec::new(),
        };
        let unsupported = |index: usize, reason: &str| ProveError::Unsupported {
            index,
            op: program.instrs[index].name(),
            reason: reason.to_string(),
        };
        let shout_err = |index: usize, e: shout::ShoutError| ProveError::Unsupported {
            index,
            op: program.instrs[index].name(),
            reason: e.to_string(),
        };
        for (index, instr) in program.instrs.iter().enumerate() {
            match instr {
                Instr::Einsum { spec, .. } => {
                    let repeated = |s: &str| {
                        let c: Vec<char> = s.chars().collect();
                        (0..c.len()).any(|i| c[i + 1..].contains(&c[i]))
                    };
                    if repeated(&spec.a) || repeated(&spec.b) {
                        return Err(unsupported(index, "repeated label within an operand"));
                    }
                }
                Instr::Conv { .. } => {
                    super::contraction::plan(program, index).map_err(|e| unsupported(index, &e))?;
                }
                Instr::Rescale { x, shift, .. } if *shift >= 1 => {
                    if *shift > 62 {
                        return Err(unsupported(index, "shift above 62"));
                    }
                    let layout = Layout::new(&program.tensor(*x).shape);
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.push(layout.num_vars);
                    let table = TableKind::Range(
                        RangeTable::new(*shift as usize)
                            .map_err(|e| unsupported(index, &e.to_string()))?,
                    );
                    plan.push_lookup(index, table, layout.padded_len())
                        .map_err(|e| shout_err(index, e))?;
                }
                Instr::Max { out, .. } | Instr::Min { out, .. } | Instr::Less { out, .. } => {
                    let layout = Layout::new(&program.tensor(*out).shape);
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend([layout.num_vars, layout.num_vars]);
                    let table = TableKind::Range(
                        RangeTable::new(super::select::GAP_BITS)
                            .map_err(|e| unsupported(index, &e.to_string()))?,
                    );
                    plan.push_lookup(index, table, layout.padded_len())
                        .map_err(|e| shout_err(index, e))?;
                }
                Instr::MaxPool { .. } | Instr::ReduceMax { .. } => {
                    let shape = super::maxpool::MaxPoolShape::new(program, index)
                        .ok_or_else(|| unsupported(index, "window does not fit"))?;
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend([
                        shape.out.num_vars,
                        shape.map.out.num_vars,
                        shape.map.out.num_vars,
                    ]);
                    let table = TableKind::Range(
                        RangeTable::new(super::maxpool::GAP_BITS)
                            .map_err(|e| unsupported(index, &e.to_string()))?,
                    );
                    plan.push_lookup(index, table, shape.map.out.padded_len())
                        .map_err(|e| shout_err(index, e))?;
                }
                Instr::Lookup { x, table, .. } => {
                    let layout = Layout::new(&program.tensor(*x).shape);
                    let t = layout.padded_len();
                    let relu = || TableKind::Relu(ReluTable::i32());
                    match table.func {
                        TableFn::Relu => plan.push_lookup(index, relu(), t),
                        TableFn::Clip { lo, hi } if lo <= hi => plan
                            .push_lookup(index, relu(), t)
                            .and_then(|_| plan.push_lookup(index, relu(), t)),
                        TableFn::LeakyRelu { .. } => {
                            plan.advice_of[index] = Some(plan.advice_vars.len());
                            plan.advice_vars.push(layout.num_vars);
                            let range = RangeTable::new(LEAKY_ALPHA_BITS as usize)
                                .map_err(|e| unsupported(index, &e.to_string()))?;
                            plan.push_lookup(index, relu(), t)
                                .and_then(|_| plan.push_lookup(index, TableKind::Range(range), t))
                        }
                        _ if super::smooth::is_smooth(table) => {
                            let kinds = super::smooth::tables(program, table)
                                .map_err(|e| unsupported(index, &e))?;
                            kinds
                                .into_iter()
                                .try_for_each(|k| plan.push_lookup(index, k, t))
                        }
                        _ => return Err(unsupported(index, "unsupported table")),
                    }
                    .map_err(|e| shout_err(index, e))?;
                }
                Instr::RmsNorm { .. } => {
                    let (vars, checks) =
                        super::norm::plan(program, index).map_err(|e| unsupported(index, &e))?;
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend(vars);
                    for (table, t) in checks {
                        plan.push_lookup(index, table, t)
                            .map_err(|e| shout_err(index, e))?;
                    }
                }
                Instr::Equal { out, .. } => {
                    let layout = Layout::new(&program.tensor(*out).shape);
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend([layout.num_vars, layout.num_vars]);
                    let table = TableKind::Range(
                        RangeTable::new(super::compare::GAP_BITS)
                            .map_err(|e| unsupported(index, &e.to_string()))?,
                    );
                    plan.push_lookup(index, table, layout.padded_len())
                        .map_err(|e| shout_err(index, e))?;
                }
                Instr::Div { .. } | Instr::Sqrt { .. } => {
                    let (vars, tables, t) = super::division::plan(program, index)
                        .map_err(|e| unsupported(index, &e))?;
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend(vars);
                    for table in tables {
                        plan.push_lookup(index, table, t)
                            .map_err(|e| shout_err(index, e))?;
                    }
                }
                Instr::Softmax { .. } => {
                    let (vars, tables, t) =
                        super::softmax::plan(program, index).map_err(|e| unsupported(index, &e))?;
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars.extend(vars);
                    for table in tables {
                        plan.push_lookup(index, table, t)
                            .map_err(|e| shout_err(index, e))?;
                    }
                }
                Instr::Gather { indices, .. }
                    if !super::gather::indices_are_public(program, *indices) =>
                {
                    plan.advice_of[index] = Some(plan.advice_vars.len());
                    plan.advice_vars
                        .push(super::gather::selection_vars(program, index));
                }
                Instr::Where { .. }
                | Instr::Gather { .. }
                | Instr::Add { .. }
                | Instr::Sub { .. }
                | Instr::Mul { .. }
                | Instr::Neg { .. }
                | Instr::MulConst { .. }
                | Instr::ReduceSum { .. }
                | Instr::Rescale { .. }
                | Instr::SumPool { .. }
                | Instr::Reshape { .. }
                | Instr::Transpose { .. }
                | Instr::Slice { .. }
                | Instr::Concat { .. }
                | Instr::Broadcast { .. }
                | Instr::Pad { .. } => {}
            }
        }
        for id in program.tensors_with_role(Role::Weight) {
            let vars = Layout::new(&program.tensor(id).shape).num_vars;
            plan.max_num_vars = plan.max_num_vars.max(vars);
        }
        (plan.advice_bins, plan.advice_slot) = pack(&plan.advice_vars, MAX_ADVICE_BIN_VARS);
        for &vars in &plan.advice_bins {
            plan.max_num_vars = plan.max_num_vars.max(vars);
        }
        plan.share().map_err(|e| ProveError::Unsupported {
            index: 0,
            op: "lookup",
            reason: e.to_string(),
        })?;
        for l in &plan.shared {
            for w in &l.params.chunk_bits {
                plan.max_num_vars = plan.max_num_vars.max(w + l.params.log_t);
            }
        }
        Ok(plan)
    }

    /// Groups the uses by table into shared instances of at most `2^MAX_SHARED_LOG_T` lookups
    /// (first-fit, largest use first, so every offset is a multiple of its segment's size), each
    /// padded to a power of two. A use larger than the cap gets an instance of its own.
    fn share(&mut self) -> Result<(), shout::ShoutError> {
        let mut order: Vec<usize> = (0..self.lookups.len()).collect();
        // Stable: equal sizes keep plan order.
        order.sort_by_key(|u| std::cmp::Reverse(self.lookups[*u].params.log_t));
        // Per bin: table, filled length, segments.
        let mut bins: Vec<(TableKind, usize, Vec<(usize, usize)>)> = Vec::new();
        for u in order {
            let l = &self.lookups[u];
            let size = 1usize << l.params.log_t;
            let fits = |(t, filled, _): &&mut (TableKind, usize, Vec<(usize, usize)>)| {
                *t == l.table && *filled + size <= 1 << MAX_SHARED_LOG_T
            };
            match bins.iter_mut().find(|b| fits(b)) {
                Some((_, filled, segments)) => {
                    segments.push((u, *filled));
                    *filled += size;
                }
                None => bins.push((l.table.clone(), size, vec![(u, 0)])),
            }
        }
        // Instances in order of their first use.
        bins.sort_by_key(|(_, _, segments)| segments.iter().map(|(u, _)| *u).min());
        self.slot_of = vec![(0, 0); self.lookups.len()];
        for (table, filled, mut segments) in bins {
            segments.sort_by_key(|(u, _)| *u);
            for &(u, offset) in &segments {
                self.slot_of[u] = (self.shared.len(), offset);
            }
            let params = ShoutParams::new(
                table.table(),
                filled.next_power_of_two(),
                Chunking::Fixed(LOG_CHUNK),
            )?;
            self.shared.push(SharedInstance {
                table,
                params,
                segments,
            });
        }
        Ok(())
    }

    /// The plan of a proof whose smooth lookups at the instruction indices `unclamped` skip
    /// their clamp: every input of such a lookup lies in `[lo, lo + K)` for its table of `K`
    /// entries (keys past `hi` hold `f(hi)`), so the table read at `x − lo` is already
    /// `f(clamp(x, lo, hi))` and the two ReLU lookups of the clamp are dropped
    /// ([`super::smooth`]); the remaining uses are shared again. `unclamped` must be strictly
    /// increasing indices of smooth lookups of `program` (this plan's).
    pub fn with_unclamped(&self, program: &Program, unclamped: &[usize]) -> Result<Plan, String> {
        if let Some(w) = unclamped.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "unclamped smooth lookups {} and {} are not in increasing order",
                w[0], w[1]
            ));
        }
        if let Some(&i) = unclamped.iter().find(|&&i| {
            !matches!(program.instrs.get(i), Some(Instr::Lookup { table, .. })
                if super::smooth::is_smooth(table))
        }) {
            return Err(format!(
                "instruction {i} is not a smooth lookup and cannot be unclamped"
            ));
        }
        if unclamped.is_empty() {
            return Ok(self.clone());
        }
        let mut plan = self.clone();
        plan.unclamped = unclamped.to_vec();
        plan.lookups
            .retain(|l| l.operand == 0 || !plan.unclamped.contains(&l.instr));
        plan.lookup_of = vec![None; program.instrs.len()];
        for (u, l) in plan.lookups.iter().enumerate() {
            plan.lookup_of[l.instr].get_or_insert(u);
        }
        plan.shared.clear();
        plan.share().map_err(|e| e.to_string())?;
        Ok(plan)
    }

    /// Whether the smooth lookup at `index` is proven without its clamp.
    pub fn is_unclamped(&self, index: usize) -> bool {
        self.unclamped.binary_search(&index).is_ok()
    }

    /// The key width of every shared instance's table, in plan order (what a proof records).
    #[cfg(test)]
    pub fn key_bits(&self) -> Vec<u8> {
        self.shared
            .iter()
            .map(|s| s.table.table().log_k() as u8)
            .collect()
    }

    /// The plan of a proof that narrows shared instance `s` to `bits[s]`-bit keys.
    ///
    /// A range check `[0, 2^32)` narrowed to `[0, 2^w)`, or a 32-bit ReLU narrowed to `w`-bit
    /// two's-complement operands, proves a stronger statement than the program's: every
    /// relation that holds with the wide table holds with the narrow one. The prover chooses
    /// the narrowest widths its keys fit ([`narrowest_bits`]), which cuts the committed one-hot
    /// chunks; the verifier accepts any width [`TableKind::narrowed`] allows. A width equal to
    /// the table's own leaves it unchanged.
    pub fn narrowed(&self, bits: &[u8]) -> Result<Plan, String> {
        if bits.len() != self.shared.len() {
            return Err(format!(
                "{} lookup key widths for {} lookup instances",
                bits.len(),
                self.shared.len()
            ));
        }
        let mut plan = self.clone();
        for (s, &b) in bits.iter().enumerate() {
            let shared = &plan.shared[s];
            if usize::from(b) == shared.table.table().log_k() {
                continue;
            }
            let table = shared.table.narrowed(b.into()).ok_or_else(|| {
                format!(
                    "lookup instance {s} ({}) cannot be narrowed to {b}-bit keys",
                    shared.table.table().name()
                )
            })?;
            let params = ShoutParams::new(
                table.table(),
                1 << shared.params.log_t,
                Chunking::Fixed(LOG_CHUNK),
            )
            .map_err(|e| e.to_string())?;
            for &(u, _) in &shared.segments.clone() {
                let use_ = &mut plan.lookups[u];
                use_.params = ShoutParams::new(
                    table.table(),
                    1 << use_.params.log_t,
                    Chunking::Fixed(LOG_CHUNK),
                )
                .map_err(|e| e.to_string())?;
                use_.table = table.clone();
            }
            plan.shared[s].table = table;
            plan.shared[s].params = params;
        }
        Ok(plan)
    }

    fn push_lookup(
        &mut self,
        instr: usize,
        table: TableKind,
        num_lookups: usize,
    ) -> Result<(), shout::ShoutError> {
        let params = ShoutParams::new(table.table(), num_lookups, Chunking::Fixed(LOG_CHUNK))?;
        let first = *self.lookup_of[instr].get_or_insert(self.lookups.len());
        self.lookups.push(LookupInstance {
            instr,
            operand: self.lookups.len() - first,
            table,
            params,
        });
        Ok(())
    }
}

/// The key of every padded position of every lookup instance.
pub(crate) fn lookup_keys(
    program: &Program,
    plan: &Plan,
    trace: &Trace,
    mask_range_keys: bool,
) -> Result<Vec<Vec<u64>>, ProveError> {
    plan.lookups
        .iter()
        .map(|l| {
            let instr = &program.instrs[l.instr];
            let bad = |what: String| {
                ProveError::Witness(format!("{}: {what}", step_name(program, l.instr)))
            };
            match (&l.table, instr) {
                (_, Instr::Equal { .. }) => {
                    super::compare::keys(program, l.instr, trace, mask_range_keys).map_err(bad)
                }
                (_, Instr::Div { .. } | Instr::Sqrt { .. }) => {
                    super::division::keys(program, l, trace, mask_range_keys).map_err(bad)
                }
                (_, Instr::RmsNorm { .. }) => {
                    super::norm::keys(program, l, trace, mask_range_keys).map_err(bad)
                }
                (_, Instr::Softmax { .. }) => {
                    super::softmax::keys(program, l, trace, mask_range_keys).map_err(bad)
                }
                (_, Instr::Lookup { table, .. }) if super::smooth::is_smooth(table) => {
                    let unclamped = plan.is_unclamped(l.instr);
                    super::smooth::keys(program, l, trace, unclamped, mask_range_keys).map_err(bad)
                }
                (TableKind::Range(_), Instr::Rescale { x, shift, .. }) => {
                    let rem = rescale_remainders(trace, l.instr, program.tensor(*x).len())
                        .map_err(bad)?;
                    let h = 1u64 << (shift - 1);
                    let layout = Layout::new(&program.tensor(*x).shape);
                    let mut keys = layout.pad(rem, h);
                    let mask = (1u64 << shift) - 1;
                    if let Some(r) = keys.iter().find(|r| **r > mask) {
                        if !mask_range_keys {
                            return Err(bad(format!("remainder {r} is not below 2^{shift}")));
                        }
                        keys.iter_mut().for_each(|k| *k &= mask);
                    }
                    Ok(keys)
                }
                (
                    TableKind::Range(_),
                    Instr::Max { .. } | Instr::Min { .. } | Instr::Less { .. },
                ) => {
                    let [_, gaps] = super::select::advice(program, l.instr, trace).map_err(bad)?;
                    let bound = 1i64 << super::select::GAP_BITS;
                    if let Some(g) = gaps.iter().find(|g| !(0..bound).contains(*g)) {
                        return Err(bad(format!("comparison gap {g} is not in [0, 2^32)")));
                    }
                    Ok(gaps.iter().map(|g| *g as u64).collect())
                }
                (TableKind::Range(_), Instr::MaxPool { .. } | Instr::ReduceMax { .. }) => {
                    let [_, _, gaps] =
                        super::maxpool::advice(program, l.instr, trace).map_err(bad)?;
                    let bound = 1i64 << super::maxpool::GAP_BITS;
                    if let Some(g) = gaps.iter().find(|g| !(0..bound).contains(*g)) {
                        return Err(bad(format!("window gap {g} is not in [0, 2^32)")));
                    }
                    Ok(gaps.iter().map(|g| *g as u64).collect())
                }
                (TableKind::Relu(t), Instr::Lookup { x, table, .. }) => {
                    let values = trace.value(*x);
                    let shift = match (&table.func, l.operand) {
                        (TableFn::Clip { lo, .. }, 0) => *lo,
                        (TableFn::Clip { hi, .. }, _) => *hi,
                        _ => 0,
                    };
                    let operands: Vec<i64> = values
                        .iter()
                        .map(|v| v.checked_sub(shift).and_then(|a| i32::try_from(a).ok()))
                        .map(|a| a.map(i64::from))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("a ReLU operand does not fit 32 bits".into()))?;
                    let layout = Layout::new(&program.tensor(*x).shape);
                    let keys: Vec<u64> = operands.iter().map(|v| t.key(*v)).collect();
                    Ok(layout.pad(&keys, t.key(0)))
                }
                (TableKind::Range(_), Instr::Lookup { x, table, .. }) => {
                    let TableFn::LeakyRelu { alpha_q } = table.func else {
                        return Err(bad("range check on a table other than LeakyReLU".into()));
                    };
                    let rem = leaky_remainders(trace.value(*x), alpha_q).map_err(bad)?;
                    let layout = Layout::new(&program.tensor(*x).shape);
                    let padded = layout.pad(&rem, 1i64 << (LEAKY_ALPHA_BITS - 1));
                    Ok(padded.iter().map(|r| *r as u64).collect())
                }
                _ => Err(bad("lookup plan does not match the instruction".into())),
            }
        })
        .collect()
}

/// LeakyReLU's remainders: with `y = max(x, 0)` and `q = round((x − y)·α / 2^16)`,
/// `rem = (x − y)·α + 2^15 − q·2^16 ∈ [0, 2^16)`.
pub(crate) fn leaky_remainders(x: &[i64], alpha: i64) -> Result<Vec<i64>, String> {
    let h = 1i128 << (LEAKY_ALPHA_BITS - 1);
    x.iter()
        .map(|&v| {
            let n = (v.min(0) as i128) * alpha as i128;
            let q = (n + h) >> LEAKY_ALPHA_BITS;
            i64::try_from(n + h - (q << LEAKY_ALPHA_BITS)).map_err(|_| "overflow".to_string())
        })
        .collect()
}

/// The remainders of the rescale at `index`, checked against the tensor size.
pub(crate) fn rescale_remainders(
    trace: &Trace,
    index: usize,
    len: usize,
) -> Result<&[u64], String> {
    match trace.witnesses().get(index) {
        Some(InstrWitness::Rescale { remainders }) if remainders.len() == len => Ok(remainders),
        _ => Err("the trace has no remainders for this rescale".into()),
    }
}

/// The narrowest key width of every shared instance that its uses' keys (computed on the
/// program's plan) fit.
pub(crate) fn narrowest_bits(plan: &Plan, keys: &[Vec<u64>]) -> Vec<u8> {
    plan.shared
        .iter()
        .map(|s| {
            let all: Vec<u64> = s
                .segments
                .iter()
                .flat_map(|(u, _)| keys[*u].iter().copied())
                .collect();
            s.table.fitting_bits(&all) as u8
        })
        .collect()
}

/// The keys of every use on the `narrow` plan, from those on the `wide` one: in a narrowed
/// instance, two's-complement ReLU keys are truncated to the new width (the value is unchanged
/// when it fits) and range-check keys reduced modulo `2^w` (unchanged when they fit; a
/// cheating prover's otherwise). Other instances keep their keys.
pub(crate) fn narrow_keys(wide: &Plan, narrow: &Plan, mut keys: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    for ((w, n), k) in wide.lookups.iter().zip(&narrow.lookups).zip(&mut keys) {
        let bits = n.table.table().log_k();
        if bits < w.table.table().log_k() {
            let mask = (1u64 << bits) - 1;
            k.iter_mut().for_each(|x| *x &= mask);
        }
    }
    keys
}

/// The keys of every shared instance: each use's keys in its segment, key 0 elsewhere (cycles
/// nobody reads; any key below `K` keeps the chunks one-hot).
pub(crate) fn shared_keys(plan: &Plan, keys: &[Vec<u64>]) -> Vec<Vec<u64>> {
    plan.shared
        .iter()
        .map(|s| {
            let mut all = vec![0u64; 1 << s.params.log_t];
            for &(u, offset) in &s.segments {
                all[offset..offset + keys[u].len()].copy_from_slice(&keys[u]);
            }
            all
        })
        .collect()
}

/// Commits the chunks of every shared instance (absorbed, in plan order); `keys` are the
/// shared instances' keys ([`shared_keys`]).
#[allow(clippy::type_complexity)]
pub(crate) fn commit<'a>(
    setup: &jolt_core::pcs::dory::DoryProverSetup,
    plan: &'a Plan,
    keys: &'a [Vec<u64>],
    transcript: &mut Transcript,
) -> Result<(Vec<Vec<DoryCommitment>>, Vec<ShoutWitness<'a, DoryScheme>>), ProveError> {
    let mut commitments = Vec::new();
    let mut witnesses = Vec::new();
    for (l, k) in plan.shared.iter().zip(keys) {
        let _span = tracing::info_span!(
            "lookup::commit_instance",
            table = %l.table.table().name(),
            log_t = l.params.log_t,
            uses = l.segments.len(),
            filled = l.segments.iter().map(|(u, _)| 1usize << plan.lookups[*u].params.log_t).sum::<usize>(),
        )
        .entered();
        let (c, w) = shout::commit::<DoryScheme>(
            setup,
            &[Lookups {
                table: l.table.table(),
                keys: k,
            }],
            Chunking::Fixed(LOG_CHUNK),
            transcript,
        )?;
        commitments.extend(c.chunks);
        witnesses.push(w);
    }
    Ok((commitments, witnesses))
}

/// Absorbs the proof's chunk commitments, checking their shape against the plan.
pub(crate) fn absorb(
    plan: &Plan,
    proof: &super::Proof,
    transcript: &mut Transcript,
) -> Result<(), VerifyError> {
    if proof.lookup_commitments.len() != plan.shared.len() {
        return Err(VerifyError::Malformed(format!(
            "{} lookup commitments, expected {}",
            proof.lookup_commitments.len(),
            plan.shared.len()
        )));
    }
    for (l, cs) in plan.shared.iter().zip(&proof.lookup_commitments) {
        let commitments = ShoutCommitments::<DoryScheme> {
            chunks: vec![cs.iter().map(|c| c.0).collect()],
        };
        shout::absorb_commitments(std::slice::from_ref(&l.params), &commitments, transcript)
            .map_err(|e| VerifyError::Malformed(e.to_string()))?;
    }
    Ok(())
}

/// A read of lookup use `inst` whose proof is deferred to the end of the claim flow: the
/// values' polynomial is `rv` and the operands' polynomial `raf` at `point` (on the use's
/// segment).
#[derive(Clone, Debug)]
pub(crate) struct DeferredRead {
    pub inst: usize,
    pub point: Vec<Fr>,
    pub rv: Fr,
    pub raf: Fr,
}

/// Transcript label of a deferred read's `(rv, raf)`.
const DEFERRED_READ: &[u8] = b"deferred_read";
/// Transcript label of the coefficients combining the reads of a shared instance.
const READ_BATCH: &[u8] = b"shared_read_batch";

/// Reads of lookup use `inst` at `point` with values' claim `rv`: the prover sends the RAF
/// claim `raf = Σ_j eq(point, j)·Op(k_j)` (absorbed with `rv`) and the read is proven with every
/// other read of the same table at the end ([`prove_deferred`]). Returns the step's part and
/// `raf`, the claim on the operand.
pub(crate) fn prove_reads(
    p: &mut Prover<'_>,
    inst: usize,
    point: &[Fr],
    rv: Fr,
) -> Result<(ShoutPart, Fr), ProveError> {
    let l = &p.plan.lookups[inst];
    let keys = &p.lookup_keys[inst];
    if point.len() != l.params.log_t || keys.len() != 1 << l.params.log_t {
        return Err(ProveError::Witness(format!(
            "{}: read point of {} coordinates for 2^{} lookups",
            step_name(p.program, l.instr),
            point.len(),
            l.params.log_t
        )));
    }
    let op = l.table.table().operand();
    let eq = jolt_core::poly::EqPolynomial::evals(point);
    let raf: Fr = keys
        .iter()
        .zip(&eq)
        .map(|(k, e)| jolt_core::field::mul_i64(e, op.eval_index(*k)))
        .sum();
    p.transcript.append_scalars(DEFERRED_READ, &[rv, raf]);
    p.deferred.push(DeferredRead {
        inst,
        point: point.to_vec(),
        rv,
        raf,
    });
    Ok((ShoutPart { raf: Ark(raf) }, raf))
}

/// Verifier of [`prove_reads`]: absorbs `(rv, raf)`, records the deferred read and returns the
/// RAF claim (checked at the end by [`verify_deferred`]).
pub(crate) fn verify_reads(
    v: &mut Verifier<'_>,
    inst: usize,
    part: &ShoutPart,
    point: &[Fr],
    rv: Fr,
    name: &str,
) -> Result<Fr, VerifyError> {
    let l = v
        .plan
        .lookups
        .get(inst)
        .ok_or_else(|| VerifyError::Key(format!("{name}: no lookup use {inst}")))?;
    if point.len() != l.params.log_t {
        return Err(VerifyError::Malformed(format!(
            "{name}: read point of {} coordinates, expected {}",
            point.len(),
            l.params.log_t
        )));
    }
    let raf = part.raf.0;
    v.transcript.append_scalars(DEFERRED_READ, &[rv, raf]);
    v.deferred.push(DeferredRead {
        inst,
        point: point.to_vec(),
        rv,
        raf,
    });
    Ok(raf)
}

/// The combined read claim of shared instance `s` from its deferred reads and the batching
/// coefficients: `(claim, Σ_t c_t·raf_t)`.
fn combine_reads(
    plan: &Plan,
    s: usize,
    deferred: &[DeferredRead],
    transcript: &mut Transcript,
) -> (ReadClaim, Fr) {
    let reads: Vec<&DeferredRead> = deferred
        .iter()
        .filter(|d| plan.slot_of[d.inst].0 == s)
        .collect();
    let coeffs = transcript.challenge_scalars(READ_BATCH, reads.len());
    let terms = reads
        .iter()
        .zip(&coeffs)
        .map(|(d, c)| WeightTerm {
            coeff: *c,
            offset: plan.slot_of[d.inst].1,
            point: d.point.clone(),
        })
        .collect();
    let rv = reads.iter().zip(&coeffs).map(|(d, c)| *c * d.rv).sum();
    let raf = reads.iter().zip(&coeffs).map(|(d, c)| *c * d.raf).sum();
    (
        ReadClaim {
            cycle: CycleWeights { terms },
            rv,
        },
        raf,
    )
}

/// Proves every deferred read: per shared instance, one Shout proof of the random combination
/// of its reads (each on its use's segment). Records the chunk opening claims.
#[tracing::instrument(skip_all, name = "lookup::prove_deferred")]
pub(crate) fn prove_deferred(p: &mut Prover<'_>) -> Result<Vec<LookupProof>, ProveError> {
    let deferred = std::mem::take(&mut p.deferred);
    let mut proofs = Vec::new();
    for s in 0..p.plan.shared.len() {
        let (claim, raf) = combine_reads(p.plan, s, &deferred, &mut p.transcript);
        let (proof, out) = shout::prove(&p.shout[s], &[claim], &mut p.transcript)?;
        if out.raf_claims[0] != raf {
            return Err(ProveError::Witness(
                "a lookup operand claim does not match the committed keys".into(),
            ));
        }
        for o in out.openings {
            p.openings.push(OpeningClaim {
                poly: Poly::Chunk(s, o.chunk),
                point: o.point,
                value: o.eval,
            });
        }
        proofs.push(LookupProof {
            raf_claims: proof.raf_claims.into_iter().map(Ark).collect(),
            sumcheck: Ark(proof.sumcheck),
        });
    }
    Ok(proofs)
}

/// Verifies every deferred read ([`prove_deferred`]); records the chunk opening claims.
pub(crate) fn verify_deferred(v: &mut Verifier<'_>) -> Result<(), VerifyError> {
    let deferred = std::mem::take(&mut v.deferred);
    let plan = v.plan;
    if v.proof.lookups.len() != plan.shared.len() {
        return Err(VerifyError::Malformed(format!(
            "{} lookup proofs, expected {}",
            v.proof.lookups.len(),
            plan.shared.len()
        )));
    }
    for (s, (shared, part)) in plan.shared.iter().zip(&v.proof.lookups).enumerate() {
        let name = format!("lookup instance {s}");
        let (claim, raf) = combine_reads(plan, s, &deferred, &mut v.transcript);
        let proof = ShoutProof {
            raf_claims: part.raf_claims.iter().map(|c| c.0).collect(),
            sumcheck: part.sumcheck.0.clone(),
        };
        let out = shout::verify(
            std::slice::from_ref(&shared.params),
            &[shared.table.table()],
            &[claim],
            &proof,
            &mut v.transcript,
        )
        .map_err(|e| VerifyError::Shout {
            step: name.clone(),
            source: e,
        })?;
        if out.raf_claims.first() != Some(&raf) {
            return Err(VerifyError::Check {
                step: name,
                what: "the lookup operands do not match the committed keys",
            });
        }
        for o in out.openings {
            v.openings.push(OpeningClaim {
                poly: Poly::Chunk(s, o.chunk),
                point: o.point,
                value: o.eval,
            });
        }
    }
    Ok(())
}

/// Prover of `out = f(x)` (see the module documentation).
#[tracing::instrument(skip_all, name = "lookup::prove")]
pub(crate) fn prove(p: &mut Prover<'_>, index: usize, claim: Claim) -> Result<(), ProveError> {
    let Instr::Lookup { x, table, .. } = &p.program.instrs[index] else {
        unreachable!("dispatched on Lookup")
    };
    let x = *x;
    let inst = p.plan.lookup_of[index].expect("the plan has an instance for every lookup");
    let trace = p.trace;
    let layout = p.layout(x);
    let r = claim.point.clone();
    match table.func {
        TableFn::Relu => {
            let (part, raf) = prove_reads(p, inst, &r, claim.value)?;
            p.steps.push(StepProof {
                shout: Some(part),
                ..Default::default()
            });
            p.claim(x, r, raf);
        }
        TableFn::Clip { lo, hi } => {
            let relu_at = |shift: i64| {
                let y: Vec<i64> = trace.value(x).iter().map(|v| (v - shift).max(0)).collect();
                layout.evaluate(&y, &r)
            };
            let (a, b) = (relu_at(lo), relu_at(hi));
            let mut step = StepProof::default();
            p.send(&mut step, &[a, b]);
            let (part, raf_a) = prove_reads(p, inst, &r, a)?;
            step.shout = Some(part);
            p.steps.push(step);
            let (part, _) = prove_reads(p, inst + 1, &r, b)?;
            p.steps.push(StepProof {
                shout: Some(part),
                ..Default::default()
            });
            p.claim(x, r.clone(), raf_a + from_i64(lo) * valid_all(&layout, &r));
        }
        TableFn::LeakyRelu { .. } => {
            let advice = p.plan.advice_of[index].expect("LeakyReLU has advice");
            let y: Vec<i64> = trace.value(x).iter().map(|v| (*v).max(0)).collect();
            let y_r = layout.evaluate(&y, &r);
            let rem = DenseMultilinear::new(to_field(&p.advice[advice])).evaluate(&r);
            let mut step = StepProof::default();
            p.send(&mut step, &[y_r, rem]);
            let (part, raf) = prove_reads(p, inst, &r, y_r)?;
            step.shout = Some(part);
            p.steps.push(step);
            let (part, _) = prove_reads(p, inst + 1, &r, rem)?;
            p.steps.push(StepProof {
                shout: Some(part),
                ..Default::default()
            });
            open_advice(&mut p.openings, advice, [(0, r.clone(), rem)]);
            p.claim(x, r, raf);
        }
        _ => return super::smooth::prove(p, index, claim),
    }
    Ok(())
}

/// `Π_axes valid(r_axis)`: the extension of the real-position indicator.
fn valid_all(layout: &Layout, r: &[Fr]) -> Fr {
    (0..layout.dims.len())
        .map(|a| valid_axis(layout.sub_point(r, a), layout.dims[a]))
        .product()
}

/// Verifier of `out = f(x)`.
pub(crate) fn verify(v: &mut Verifier<'_>, index: usize, claim: Claim) -> Result<(), VerifyError> {
    let Instr::Lookup { x, table, .. } = &v.program.instrs[index] else {
        unreachable!("dispatched on Lookup")
    };
    let x = *x;
    let name = step_name(v.program, index);
    let inst = v.plan.lookup_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
    let layout = v.layout(x);
    let r = claim.point.clone();
    let fail = |what| VerifyError::Check {
        step: name.clone(),
        what,
    };
    match table.func {
        TableFn::Relu => {
            let step = v.step(&name, 0, 0, true)?;
            let part = step.shout.as_ref().expect("shape checked by step");
            let raf = verify_reads(v, inst, part, &r, claim.value, &name)?;
            v.claim(x, r, raf);
        }
        TableFn::Clip { lo, hi } => {
            // out = lo·mask + ReLU(x − lo·mask) − ReLU(x − hi·mask).
            let valid = valid_all(&layout, &r);
            let step = v.step(&name, 2, 0, true)?;
            let (a, b) = (step.values[0].0, step.values[1].0);
            if from_i64(lo) * valid + a - b != claim.value {
                return Err(fail("clip output is not lo + ReLU(x − lo) − ReLU(x − hi)"));
            }
            let part = step.shout.as_ref().expect("shape checked by step");
            let raf_a = verify_reads(v, inst, part, &r, a, &name)?;
            let step = v.step(&name, 0, 0, true)?;
            let part = step.shout.as_ref().expect("shape checked by step");
            let raf_b = verify_reads(v, inst + 1, part, &r, b, &name)?;
            let x_r = raf_a + from_i64(lo) * valid;
            if x_r != raf_b + from_i64(hi) * valid {
                return Err(fail("the two ReLU operands are not x − lo and x − hi"));
            }
            v.claim(x, r, x_r);
        }
        TableFn::LeakyRelu { alpha_q } => {
            // out = y + q with y = ReLU(x), (x − y)·α = 2^16·q + rem − 2^15.
            let advice = v.plan.advice_of[index].ok_or_else(|| VerifyError::Key(name.clone()))?;
            let step = v.step(&name, 2, 0, true)?;
            let (y_r, rem) = (step.values[0].0, step.values[1].0);
            let part = step.shout.as_ref().expect("shape checked by step");
            let raf = verify_reads(v, inst, part, &r, y_r, &name)?;
            let step = v.step(&name, 0, 0, true)?;
            let part = step.shout.as_ref().expect("shape checked by step");
            let raf_rem = verify_reads(v, inst + 1, part, &r, rem, &name)?;
            if raf_rem != rem {
                return Err(fail("range check does not read the remainders"));
            }
            let two16 = from_i64(1 << LEAKY_ALPHA_BITS);
            let h = from_i64(1 << (LEAKY_ALPHA_BITS - 1));
            if (raf - y_r) * from_i64(alpha_q) != two16 * (claim.value - y_r) + rem - h {
                return Err(fail("LeakyReLU output is not ReLU(x) + round(α·min(x, 0))"));
            }
            open_advice(&mut v.openings, advice, [(0, r.clone(), rem)]);
            v.claim(x, r, raf);
        }
        _ if super::smooth::is_smooth(table) => return super::smooth::verify(v, index, claim),
        _ => return Err(VerifyError::Key(format!("{name}: unsupported table"))),
    }
    Ok(())
}

#[cfg(test)]
mod pack_tests {
    use super::pack;

    #[test]
    fn packing_aligns_every_table_and_respects_the_cap() {
        let vars = [3, 5, 2, 5, 4, 7, 0];
        let (bins, slot) = pack(&vars, 6);
        // The 2^7 table exceeds the cap: a bin of its own.
        assert_eq!(bins[slot[5].0], 7);
        for (i, &(bin, offset)) in slot.iter().enumerate() {
            assert_eq!(offset % (1 << vars[i]), 0, "table {i} is aligned");
            assert!(
                offset + (1 << vars[i]) <= 1 << bins[bin],
                "table {i} fits its bin"
            );
        }
        // No two tables of one bin overlap.
        for i in 0..vars.len() {
            for j in i + 1..vars.len() {
                let ((bi, oi), (bj, oj)) = (slot[i], slot[j]);
                let disjoint = oi + (1 << vars[i]) <= oj || oj + (1 << vars[j]) <= oi;
                assert!(bi != bj || disjoint, "tables {i} and {j} overlap");
            }
        }
        // [7], [5, 5], [4, 3, 2, 0].
        assert_eq!(bins, vec![7, 6, 5]);
    }
}

#[cfg(test)]
mod narrowing_tests {
    use super::*;

    /// The narrowest width holds the extreme keys and a narrower one would not; small tables
    /// and smooth tables keep their width.
    #[test]
    fn fitting_bits_at_the_boundaries() {
        let range = TableKind::Range(RangeTable::new(32).unwrap());
        for (max, bits) in [
            (0u64, 4),
            (15, 4),
            (16, 8),
            ((1 << 19) - 1, 20),
            (1 << 31, 32),
        ] {
            assert_eq!(range.fitting_bits(&[0, max]), bits, "range key {max}");
        }
        let relu = ReluTable::i32();
        let kind = TableKind::Relu(relu);
        for (x, bits) in [
            (0i64, 4),
            (-8, 4),
            (7, 4),
            (8, 8),
            (-9, 8),
            (-(1 << 31), 32),
        ] {
            assert_eq!(kind.fitting_bits(&[relu.key(x)]), bits, "ReLU operand {x}");
            let narrow = ReluTable::new(bits).unwrap();
            let op = narrow.operand().eval_index(narrow.key(x));
            assert_eq!(op, x, "the {bits}-bit key of {x} reads back");
        }
        let small = TableKind::Range(RangeTable::new(16).unwrap());
        assert_eq!(small.fitting_bits(&[3]), 16);
        assert!(small.narrowed(8).is_none() && range.narrowed(30).is_none());
    }
}
