//! Inputs shared by the benches and `examples/profile.rs` (included with `#[path]`).

use atlas_lookups::twist::{MemoryTrace, TwistStatement};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A random trace of `2^log_t` reads and writes on `2^log_k` cells, with the values it reads
/// and the final memory.
pub struct RandomMemory {
    pub trace: MemoryTrace,
    pub read_values: Vec<i64>,
    pub final_memory: Vec<i64>,
}

impl RandomMemory {
    pub fn new(log_k: usize, log_t: usize) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (k, t) = (1u32 << log_k, 1usize << log_t);
        let trace = MemoryTrace {
            init: (0..k).map(|_| rng.gen_range(-1000..1000)).collect(),
            reads: (0..t).map(|_| rng.gen_range(0..k)).collect(),
            writes: (0..t).map(|_| rng.gen_range(0..k)).collect(),
            write_values: (0..t).map(|_| rng.gen_range(-1000..1000)).collect(),
        };
        let (read_values, _, final_memory) = trace.execute();
        Self {
            trace,
            read_values,
            final_memory,
        }
    }

    /// The public statement of the trace.
    pub fn statement(&self) -> TwistStatement<'_> {
        TwistStatement {
            init: &self.trace.init,
            read_values: &self.read_values,
            write_values: &self.trace.write_values,
            final_memory: &self.final_memory,
        }
    }
}
