//! Row-major index arithmetic shared by the instruction families: strided traversal, NumPy
//! broadcasting, axis splitting, and the index maps of sliding windows.

use atlas_isa::tensor::{numel, strides};
use atlas_isa::Window;

/// An operand: its values (row-major) and shape.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    pub data: &'a [i64],
    pub shape: &'a [usize],
}

/// Strides that read a tensor of `shape` broadcast to `out` (NumPy rules, right-aligned): axes
/// of extent 1 and missing leading axes get stride 0.
pub(crate) fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let st = strides(shape);
    let lead = out.len() - shape.len();
    (0..out.len())
        .map(|i| {
            if i < lead || shape[i - lead] == 1 {
                0
            } else {
                st[i - lead]
            }
        })
        .collect()
}

/// Calls `f` with the offsets of `N` operands for every index of `dims`, in row-major order.
/// Operand `t` sits at `base[t] + Σ_d index[d] · strides[t][d]`. Stops at the first error.
pub(crate) fn try_for_each_offset<const N: usize, E>(
    dims: &[usize],
    strides: [&[usize]; N],
    base: [usize; N],
    mut f: impl FnMut([usize; N]) -> Result<(), E>,
) -> Result<(), E> {
    if dims.contains(&0) {
        return Ok(());
    }
    let r = dims.len();
    if r == 0 {
        return f(base);
    }
    let last = dims[r - 1];
    let step: [usize; N] = std::array::from_fn(|t| strides[t][r - 1]);
    let mut index = vec![0usize; r - 1];
    let mut row = base;
    loop {
        let mut o = row;
        for _ in 0..last {
            f(o)?;
            for t in 0..N {
                o[t] += step[t];
            }
        }
        // Advance the odometer over the outer axes.
        let mut d = r - 1;
        loop {
            if d == 0 {
                return Ok(());
            }
            d -= 1;
            index[d] += 1;
            for t in 0..N {
                row[t] += strides[t][d];
            }
            if index[d] < dims[d] {
                break;
            }
            for t in 0..N {
                row[t] -= strides[t][d] * dims[d];
            }
            index[d] = 0;
        }
    }
}

/// Infallible [`try_for_each_offset`].
pub(crate) fn for_each_offset<const N: usize>(
    dims: &[usize],
    strides: [&[usize]; N],
    base: [usize; N],
    mut f: impl FnMut([usize; N]),
) {
    let _ = try_for_each_offset::<N, std::convert::Infallible>(dims, strides, base, |o| {
        f(o);
        Ok(())
    });
}

/// `out[i] = src[offset + Σ_d i_d · strides[d]]` for every index `i` of `dims`, row-major.
pub(crate) fn gather_strided(src: &[i64], offset: usize, dims: &[usize], st: &[usize]) -> Vec<i64> {
    let n = numel(dims);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let Some((&last, outer)) = dims.split_last() else {
        out.push(src[offset]);
        return out;
    };
    let ls = st[dims.len() - 1];
    for_each_offset(outer, [&st[..outer.len()]], [offset], |[o]| {
        if ls == 1 {
            out.extend_from_slice(&src[o..o + last]);
        } else {
            out.extend((0..last).map(|i| src[o + i * ls]));
        }
    });
    out
}

/// Whether reading `dims` with strides `st` visits a contiguous row-major block (axes of extent
/// 1 are ignored), so that a strided gather is a plain slice.
pub(crate) fn is_contiguous(dims: &[usize], st: &[usize]) -> bool {
    let mut expect = 1;
    for (&d, &s) in dims.iter().zip(st).rev() {
        if d > 1 && s != expect {
            return false;
        }
        expect *= d;
    }
    true
}

/// Splits `shape` around `axis` into `(outer, len, inner)` extents.
pub(crate) fn split_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        numel(&shape[..axis]),
        shape[axis],
        numel(&shape[axis + 1..]),
    )
}

/// Marks a window tap that falls in the padding.
pub(crate) const PAD: u32 = u32::MAX;

/// For a sliding window over the spatial axes of `[N, C, S...]`, the input position read by every
/// (output position, tap) pair.
pub(crate) struct WindowMap {
    /// Number of output positions `Π out_dims`.
    pub positions: usize,
    /// Number of taps `Π kernel`.
    pub taps: usize,
    /// `index[p · taps + k]`: flat offset within one `S...` block of the input read by tap `k`
    /// of output position `p`, or [`PAD`].
    pub index: Vec<u32>,
}

impl WindowMap {
    /// Builds the map of `window` over spatial extents `spatial`.
    ///
    /// # Panics
    /// If the window does not fit, which [`atlas_isa::Program::validate`] excludes.
    pub(crate) fn new(window: &Window, spatial: &[usize]) -> Self {
        let out_dims = window
            .output_dims(spatial)
            .expect("validated program: the window fits its input");
        let positions = numel(&out_dims);
        let taps = numel(&window.kernel);
        let in_strides = strides(spatial);
        let rank = spatial.len();
        let mut index = Vec::with_capacity(positions * taps);
        let mut o = vec![0usize; rank];
        for _ in 0..positions {
            let mut k = vec![0usize; rank];
            for _ in 0..taps {
                let mut flat = 0usize;
                let mut inside = true;
                for a in 0..rank {
                    let c = (o[a] * window.strides[a] + k[a] * window.dilations[a]) as isize
                        - window.pads[a].0 as isize;
                    if c < 0 || c as usize >= spatial[a] {
                        inside = false;
                        break;
                    }
                    flat += c as usize * in_strides[a];
                }
                index.push(if inside { flat as u32 } else { PAD });
                increment(&mut k, &window.kernel);
            }
            increment(&mut o, &out_dims);
        }
        Self {
            positions,
            taps,
            index,
        }
    }

    /// The taps of output position `p`.
    pub(crate) fn taps_of(&self, p: usize) -> &[u32] {
        &self.index[p * self.taps..(p + 1) * self.taps]
    }
}

/// Row-major increment of a multi-index (wraps to zero after the last index).
fn increment(index: &mut [usize], dims: &[usize]) {
    for d in (0..index.len()).rev() {
        index[d] += 1;
        if index[d] < dims[d] {
            return;
        }
        index[d] = 0;
    }
}
