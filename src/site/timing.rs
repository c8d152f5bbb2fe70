//! Wall and CPU time of each build stage (`srekb build -v`). CPU time is the whole
//! process's (every thread), so a stage that keeps all cores busy shows CPU above
//! wall, and one that waits (on I/O, on one thread) shows the idle cores.

use std::time::{Duration, Instant};

/// One stage's figures.
#[derive(Debug, Clone)]
pub struct StageTime {
    pub name: &'static str,
    pub wall: Duration,
    /// User + system CPU time of the process during the stage.
    pub cpu: Duration,
    /// The process's peak resident memory so far, in bytes (0 where unknown).
    pub peak_rss: u64,
}

impl StageTime {
    /// `  markdown      412.3 ms wall   1490.2 ms CPU  (3.6 cores)   212 MB peak`.
    pub fn line(&self) -> String {
        let wall = self.wall.as_secs_f64() * 1000.0;
        let cpu = self.cpu.as_secs_f64() * 1000.0;
        let cores = if wall > 0.05 { cpu / wall } else { 0.0 };
        format!(
            "  {:<14} {wall:>9.1} ms wall {cpu:>9.1} ms CPU  ({cores:.1} cores) {:>6} MB peak",
            self.name,
            self.peak_rss >> 20
        )
    }
}

fn usage() -> Option<libc::rusage> {
    // SAFETY: getrusage writes into the zeroed struct we pass and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    (unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0).then_some(usage)
}

/// CPU time used by this process so far (user + system, every thread).
pub fn process_cpu() -> Duration {
    let Some(usage) = usage() else {
        return Duration::ZERO;
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The process's peak resident memory so far, in bytes (Linux reports KiB).
pub fn peak_rss() -> u64 {
    usage().map_or(0, |u| u.ru_maxrss.max(0) as u64 * 1024)
}

/// The stages of one build, in the order they ran.
#[derive(Default)]
pub struct Stages {
    pub list: Vec<StageTime>,
}

impl Stages {
    /// Runs stage `name`, recording its wall and CPU time.
    pub fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let (t, cpu) = (Instant::now(), process_cpu());
        let out = f();
        self.list.push(StageTime {
            name,
            wall: t.elapsed(),
            cpu: process_cpu().saturating_sub(cpu),
            peak_rss: peak_rss(),
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage that burns CPU records it (other tests run in this process at the
    /// same time, so the figures are only bounded from below).
    #[test]
    fn a_stage_records_the_cpu_time_it_used() {
        let mut s = Stages::default();
        s.run("spin", || {
            let (t, start) = (Instant::now(), process_cpu());
            let mut x = 0u64;
            while process_cpu().saturating_sub(start) < Duration::from_millis(40)
                && t.elapsed() < Duration::from_secs(20)
            {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        });
        s.run("sleep", || std::thread::sleep(Duration::from_millis(20)));
        let (spin, sleep) = (&s.list[0], &s.list[1]);
        assert!(spin.cpu >= Duration::from_millis(40), "{spin:?}");
        assert!(sleep.wall >= Duration::from_millis(20), "{sleep:?}");
        assert!(
            spin.peak_rss > 0 && sleep.peak_rss >= spin.peak_rss,
            "{s:?}",
            s = s.list
        );
        let line = spin.line();
        assert!(
            line.contains("spin") && line.contains("ms wall") && line.contains("ms CPU"),
            "{line}"
        );
    }
}
