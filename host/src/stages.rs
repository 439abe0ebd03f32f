//! Stage timing and peak memory.
//!
//! Each stage (load, compile, execute, …) runs inside a tracing span and records its wall time and
//! its peak resident set size. Linux keeps the process's peak RSS in `VmHWM` of
//! `/proc/self/status`; writing `5` to `/proc/self/clear_refs` resets it to the current RSS, which
//! makes the peak per stage. Where that reset is not available (other systems, restricted
//! containers) the figure is the peak of the process so far, and [`Stages::per_stage_peaks`]
//! says so.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Time and memory of one stage.
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    /// Stage name.
    pub name: String,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Peak resident set size during the stage, in bytes, if the platform reports it.
    pub peak_rss_bytes: Option<u64>,
}

/// Runs stages one after the other and records a [`StageReport`] for each.
#[derive(Debug)]
pub struct Stages {
    reports: Vec<StageReport>,
    per_stage_peaks: bool,
    progress: bool,
}

impl Default for Stages {
    fn default() -> Self {
        Self::new()
    }
}

impl Stages {
    /// An empty record. Probes once whether the peak RSS can be reset.
    pub fn new() -> Self {
        Self {
            reports: Vec::new(),
            per_stage_peaks: reset_peak_rss(),
            progress: false,
        }
    }

    /// Shows a spinner on stderr for every stage that runs longer than [`PROGRESS_AFTER`], when
    /// `on` is set and stderr is a terminal.
    pub fn with_progress(mut self, on: bool) -> Self {
        self.progress = on && std::io::stderr().is_terminal();
        self
    }

    /// Runs `f` as the stage `name`.
    pub fn run<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        if self.per_stage_peaks {
            self.per_stage_peaks = reset_peak_rss();
        }
        let span = tracing::info_span!("stage", name).entered();
        let start = Instant::now();
        let out = if self.progress {
            with_spinner(name, f)
        } else {
            f()
        };
        let seconds = start.elapsed().as_secs_f64();
        drop(span);
        tracing::debug!(stage = name, seconds, "stage done");
        self.reports.push(StageReport {
            name: name.to_string(),
            seconds,
            peak_rss_bytes: peak_rss_bytes(),
        });
        out
    }

    /// The stages run so far, in order.
    pub fn reports(&self) -> &[StageReport] {
        &self.reports
    }

    /// Seconds of the stage `name` (0 if it did not run).
    pub fn seconds(&self, name: &str) -> f64 {
        self.reports
            .iter()
            .find(|r| r.name == name)
            .map_or(0.0, |r| r.seconds)
    }

    /// The largest peak RSS over all stages, in bytes.
    pub fn peak_rss_bytes(&self) -> Option<u64> {
        self.reports.iter().filter_map(|r| r.peak_rss_bytes).max()
    }

    /// Whether each stage's peak is its own (the reset worked) rather than the process's peak
    /// so far.
    pub fn per_stage_peaks(&self) -> bool {
        self.per_stage_peaks
    }
}

/// How long a stage runs before its spinner appears.
pub const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// Runs `f` while a helper thread waits [`PROGRESS_AFTER`] and then shows a spinner until `f`
/// returns (quick stages print nothing).
fn with_spinner<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let label = name.to_string();
    let spinner = std::thread::spawn(move || {
        if finished.recv_timeout(PROGRESS_AFTER) != Err(mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        let bar = indicatif::ProgressBar::new_spinner()
            .with_message(format!("{label}…"))
            .with_elapsed(PROGRESS_AFTER)
            .with_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
        bar.enable_steady_tick(Duration::from_millis(100));
        let _ = finished.recv();
        bar.finish_and_clear();
    });
    let out = f();
    let _ = done.send(());
    let _ = spinner.join();
    out
}

/// The process's peak resident set size (`VmHWM`), in bytes, where the platform reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak RSS to the current RSS; returns whether that worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stages() {
        let mut stages = Stages::new();
        let v = stages.run("sum", || (0..1000u64).sum::<u64>());
        assert_eq!(v, 499_500);
        stages.run("alloc", || {
            let v = vec![1u8; 32 << 20];
            std::hint::black_box(&v);
        });
        assert_eq!(stages.reports().len(), 2);
        assert!(stages.seconds("sum") >= 0.0);
        assert_eq!(stages.seconds("missing"), 0.0);
        if cfg!(target_os = "linux") {
            let peak = stages.reports()[1].peak_rss_bytes.unwrap();
            assert!(peak >= 32 << 20, "peak {peak}");
        }
    }
}
