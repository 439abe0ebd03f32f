//! Fiat–Shamir transcript over Blake2b-512.
//!
//! The transcript is a 64-byte running state `s`. Every operation replaces it by a hash of the
//! previous state, a domain tag for the operation kind, the length-prefixed label and the
//! length-prefixed payload:
//!
//! ```text
//! append:    s' = Blake2b-512(s ‖ "A" ‖ len(label) ‖ label ‖ len(bytes) ‖ bytes)
//! challenge: s' = Blake2b-512(s ‖ "C" ‖ len(label) ‖ label ‖ counter)
//! ```
//!
//! A challenge is read from the new state `s'` (so squeezing also updates the state and two
//! successive challenges with the same label differ). Scalars are derived from 64 uniform bytes
//! reduced modulo the BN254 scalar field order, which has statistical distance about `2^-258`
//! from uniform.
//!
//! # Soundness
//! Fiat–Shamir is only sound if everything the verifier uses has been absorbed before the
//! challenge that depends on it (DESIGN.md §7): public inputs and outputs, program and key
//! digests, commitments, and every claim a sumcheck starts from.
//!
//! # Lock-step debugging
//! A prover transcript created with [`Transcript::new_recording`] records, for every operation,
//! its label and the state after it. A verifier transcript created with
//! [`Transcript::new_lockstep`] from that [`TranscriptRecord`] asserts at every operation that it
//! reaches the same state, and panics naming the first divergent operation (its index, the
//! prover's label and the verifier's label). This mode is a debugging aid for tests: a
//! production verifier never uses it.
//!
//! # Frozen challenges
//! A transcript created with [`Transcript::new_frozen`] from a prover's record replays the
//! prover's challenges whatever is absorbed. A verifier run on a mutated proof with frozen
//! challenges shows whether the mutation is caught by a *check* rather than only by the
//! challenges it perturbs (DESIGN.md §7: "replaying frozen challenges on a mutated proof must
//! fail"). Test-only, like lock-step mode.

use crate::field::Fr;
use ark_ff::PrimeField;
use ark_serialize::CanonicalSerialize;
use blake2::{Blake2b512, Digest};
use std::sync::Arc;

/// Domain tag of an append operation.
const TAG_APPEND: u8 = b'A';
/// Domain tag of a challenge operation.
const TAG_CHALLENGE: u8 = b'C';

/// One recorded transcript operation: its label and the state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptEntry {
    /// Label passed to the operation.
    pub label: &'static [u8],
    /// Whether the operation was a challenge (`true`) or an append (`false`).
    pub is_challenge: bool,
    /// Transcript state after the operation.
    pub state: [u8; 64],
}

/// The sequence of operations of a recording transcript, to replay in lock-step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TranscriptRecord {
    /// Operations in order.
    pub entries: Vec<TranscriptEntry>,
}

/// Test-only mode of a transcript.
#[derive(Clone, Debug)]
enum Mode {
    /// Ordinary transcript.
    Plain,
    /// Record every operation.
    Recording(TranscriptRecord),
    /// Check every operation against a record; `next` is the index of the next operation.
    LockStep {
        record: Arc<TranscriptRecord>,
        next: usize,
    },
    /// Replay the recorded challenge states in order; `next` indexes `challenges`.
    Frozen {
        challenges: Arc<Vec<[u8; 64]>>,
        next: usize,
    },
}

/// A Blake2b Fiat–Shamir transcript. See the module documentation.
#[derive(Clone, Debug)]
pub struct Transcript {
    state: [u8; 64],
    /// Number of challenges drawn so far, mixed into each challenge.
    n_challenges: u64,
    mode: Mode,
}

impl Transcript {
    /// A fresh transcript for the protocol named `label`.
    pub fn new(label: &'static [u8]) -> Self {
        let mut t = Transcript {
            state: [0u8; 64],
            n_challenges: 0,
            mode: Mode::Plain,
        };
        t.append_bytes(b"protocol", label);
        t
    }

    /// A fresh transcript that records every operation (see [`Transcript::take_record`]).
    pub fn new_recording(label: &'static [u8]) -> Self {
        let mut t = Transcript {
            state: [0u8; 64],
            n_challenges: 0,
            mode: Mode::Recording(TranscriptRecord::default()),
        };
        t.append_bytes(b"protocol", label);
        t
    }

    /// A fresh transcript that checks each of its operations against `record` and panics at the
    /// first operation whose resulting state differs, naming both labels.
    pub fn new_lockstep(label: &'static [u8], record: TranscriptRecord) -> Self {
        let mut t = Transcript {
            state: [0u8; 64],
            n_challenges: 0,
            mode: Mode::LockStep {
                record: Arc::new(record),
                next: 0,
            },
        };
        t.append_bytes(b"protocol", label);
        t
    }

    /// A fresh transcript whose challenges are those of `record` (a recording prover's), in
    /// order, whatever is absorbed; past the record's last challenge it derives them as usual.
    pub fn new_frozen(label: &'static [u8], record: &TranscriptRecord) -> Self {
        let challenges = record
            .entries
            .iter()
            .filter(|e| e.is_challenge)
            .map(|e| e.state)
            .collect();
        let mut t = Transcript {
            state: [0u8; 64],
            n_challenges: 0,
            mode: Mode::Frozen {
                challenges: Arc::new(challenges),
                next: 0,
            },
        };
        t.append_bytes(b"protocol", label);
        t
    }

    /// The operations recorded so far by a recording transcript (empty for other modes); the
    /// record is moved out, and recording continues afresh.
    pub fn take_record(&mut self) -> TranscriptRecord {
        match &mut self.mode {
            Mode::Recording(r) => std::mem::take(r),
            _ => TranscriptRecord::default(),
        }
    }

    /// The current 64-byte state (for tests and for binding sub-protocols to a transcript).
    pub fn state(&self) -> [u8; 64] {
        self.state
    }

    /// Absorbs `bytes` under `label`.
    pub fn append_bytes(&mut self, label: &'static [u8], bytes: &[u8]) {
        let mut h = Blake2b512::new();
        h.update(self.state);
        h.update([TAG_APPEND]);
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
        self.state.copy_from_slice(&h.finalize());
        self.observe(label, false);
    }

    /// Absorbs a `u64` (little-endian) under `label`.
    pub fn append_u64(&mut self, label: &'static [u8], x: u64) {
        self.append_bytes(label, &x.to_le_bytes());
    }

    /// Absorbs one field element (canonical 32-byte little-endian encoding) under `label`.
    pub fn append_scalar(&mut self, label: &'static [u8], x: &Fr) {
        let mut buf = Vec::with_capacity(32);
        x.serialize_uncompressed(&mut buf)
            .expect("serializing a field element into a Vec cannot fail");
        self.append_bytes(label, &buf);
    }

    /// Absorbs a vector of field elements (their number, then each element) as one operation.
    pub fn append_scalars(&mut self, label: &'static [u8], xs: &[Fr]) {
        let mut buf = Vec::with_capacity(8 + 32 * xs.len());
        buf.extend_from_slice(&(xs.len() as u64).to_le_bytes());
        for x in xs {
            x.serialize_uncompressed(&mut buf)
                .expect("serializing a field element into a Vec cannot fail");
        }
        self.append_bytes(label, &buf);
    }

    /// Absorbs any canonically serializable value (group elements, commitments), in its
    /// compressed encoding.
    pub fn append_serializable<T: CanonicalSerialize>(&mut self, label: &'static [u8], x: &T) {
        let mut buf = Vec::with_capacity(x.compressed_size());
        x.serialize_compressed(&mut buf)
            .expect("serializing into a Vec cannot fail");
        self.append_bytes(label, &buf);
    }

    /// Fills `out` with challenge bytes under `label`; updates the state.
    pub fn challenge_bytes(&mut self, label: &'static [u8], out: &mut [u8]) {
        let mut written = 0;
        // One state update per 64 bytes of output; the first block carries the label.
        loop {
            let block = self.squeeze(label);
            let take = (out.len() - written).min(64);
            out[written..written + take].copy_from_slice(&block[..take]);
            written += take;
            if written == out.len() {
                break;
            }
        }
    }

    /// Draws one field element under `label`; updates the state.
    pub fn challenge_scalar(&mut self, label: &'static [u8]) -> Fr {
        let block = self.squeeze(label);
        Fr::from_le_bytes_mod_order(&block)
    }

    /// Draws `n` field elements under `label`; updates the state.
    pub fn challenge_scalars(&mut self, label: &'static [u8], n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge_scalar(label)).collect()
    }

    /// One challenge step: updates the state and returns it.
    fn squeeze(&mut self, label: &'static [u8]) -> [u8; 64] {
        let mut h = Blake2b512::new();
        h.update(self.state);
        h.update([TAG_CHALLENGE]);
        h.update((label.len() as u64).to_le_bytes());
        h.update(label);
        h.update(self.n_challenges.to_le_bytes());
        self.n_challenges += 1;
        self.state.copy_from_slice(&h.finalize());
        if let Mode::Frozen { challenges, next } = &mut self.mode {
            if let Some(frozen) = challenges.get(*next) {
                self.state = *frozen;
            }
            *next += 1;
        }
        self.observe(label, true);
        self.state
    }

    /// Records or checks the operation just performed, according to the mode.
    fn observe(&mut self, label: &'static [u8], is_challenge: bool) {
        match &mut self.mode {
            Mode::Plain | Mode::Frozen { .. } => {}
            Mode::Recording(r) => r.entries.push(TranscriptEntry {
                label,
                is_challenge,
                state: self.state,
            }),
            Mode::LockStep { record, next } => {
                let i = *next;
                *next += 1;
                match record.entries.get(i) {
                    None => panic!(
                        "transcript lock-step: verifier operation #{i} ({}) \"{}\" has no \
                         counterpart: the prover's transcript ended after {} operations",
                        kind(is_challenge),
                        String::from_utf8_lossy(label),
                        record.entries.len()
                    ),
                    Some(e) if e.state != self.state || e.is_challenge != is_challenge => {
                        panic!(
                            "transcript lock-step: first divergence at operation #{i}: \
                             prover {} \"{}\", verifier {} \"{}\"{}",
                            kind(e.is_challenge),
                            String::from_utf8_lossy(e.label),
                            kind(is_challenge),
                            String::from_utf8_lossy(label),
                            if e.label == label && e.is_challenge == is_challenge {
                                " (same label: the absorbed data differ)"
                            } else {
                                ""
                            }
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// Human-readable operation kind for lock-step messages.
fn kind(is_challenge: bool) -> &'static str {
    if is_challenge {
        "challenge"
    } else {
        "append"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &mut Transcript, x: u64) -> Fr {
        t.append_u64(b"x", x);
        t.append_scalars(b"v", &[Fr::from(1u64), Fr::from(2u64)]);
        let a = t.challenge_scalar(b"a");
        t.append_scalar(b"a-echo", &a);
        t.challenge_scalar(b"b")
    }

    #[test]
    fn deterministic_and_sensitive() {
        let mut t1 = Transcript::new(b"test");
        let mut t2 = Transcript::new(b"test");
        assert_eq!(run(&mut t1, 5), run(&mut t2, 5));
        let mut t3 = Transcript::new(b"test");
        assert_ne!(run(&mut Transcript::new(b"test"), 5), run(&mut t3, 6));
        let mut t4 = Transcript::new(b"other");
        assert_ne!(run(&mut Transcript::new(b"test"), 5), run(&mut t4, 5));
    }

    #[test]
    fn labels_and_lengths_are_bound() {
        // Same concatenated bytes split differently must give different states.
        let mut a = Transcript::new(b"t");
        a.append_bytes(b"ab", b"c");
        let mut b = Transcript::new(b"t");
        b.append_bytes(b"a", b"bc");
        assert_ne!(a.state(), b.state());
        let mut c = Transcript::new(b"t");
        c.append_bytes(b"x", b"12");
        let mut d = Transcript::new(b"t");
        d.append_bytes(b"x", b"1");
        d.append_bytes(b"x", b"2");
        assert_ne!(c.state(), d.state());
    }

    #[test]
    fn successive_challenges_differ() {
        let mut t = Transcript::new(b"t");
        let v = t.challenge_scalars(b"r", 4);
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(v[i], v[j]);
            }
        }
        let mut out = [0u8; 150];
        t.challenge_bytes(b"bytes", &mut out);
        assert_ne!(out[..64], out[64..128]);
    }

    #[test]
    fn lockstep_agrees_on_same_run() {
        let mut p = Transcript::new_recording(b"test");
        let cp = run(&mut p, 7);
        let rec = p.take_record();
        assert_eq!(rec.entries.len(), 6);
        let mut v = Transcript::new_lockstep(b"test", rec);
        assert_eq!(run(&mut v, 7), cp);
    }

    #[test]
    fn lockstep_reports_first_divergence() {
        let mut p = Transcript::new_recording(b"test");
        run(&mut p, 7);
        let rec = p.take_record();
        let result = std::panic::catch_unwind(move || {
            let mut v = Transcript::new_lockstep(b"test", rec);
            run(&mut v, 8);
        });
        let err = result.expect_err("diverging verifier must panic");
        let msg = err
            .downcast_ref::<String>()
            .expect("panic message is a String");
        assert!(msg.contains("operation #1"), "{msg}");
        assert!(msg.contains("\"x\""), "{msg}");
        assert!(msg.contains("the absorbed data differ"), "{msg}");
    }

    #[test]
    fn lockstep_reports_label_mismatch() {
        let mut p = Transcript::new_recording(b"test");
        p.append_u64(b"alpha", 1);
        let rec = p.take_record();
        let result = std::panic::catch_unwind(move || {
            let mut v = Transcript::new_lockstep(b"test", rec);
            v.append_u64(b"beta", 1);
        });
        let msg = result
            .expect_err("must panic")
            .downcast_ref::<String>()
            .cloned()
            .expect("String panic");
        assert!(msg.contains("prover append \"alpha\""), "{msg}");
        assert!(msg.contains("verifier append \"beta\""), "{msg}");
    }

    #[test]
    fn frozen_challenges_ignore_what_is_absorbed() {
        let mut p = Transcript::new_recording(b"test");
        p.append_u64(b"x", 1);
        let c1 = p.challenge_scalar(b"c");
        p.append_u64(b"y", 2);
        let c2 = p.challenge_scalar(b"c");
        let record = p.take_record();
        let mut f = Transcript::new_frozen(b"test", &record);
        f.append_u64(b"x", 999);
        assert_eq!(f.challenge_scalar(b"c"), c1);
        f.append_u64(b"y", 998);
        assert_eq!(f.challenge_scalar(b"c"), c2);
        // Past the record: derived as usual, and not a replay.
        assert_ne!(f.challenge_scalar(b"c"), c2);
        let mut plain = Transcript::new(b"test");
        plain.append_u64(b"x", 999);
        assert_ne!(plain.challenge_scalar(b"c"), c1);
    }
}
