//! Where the CPU went while a flood ran: the whole machine's busy time from `/proc/stat` (all
//! CPUs, in USER_HZ ticks of 10 ms, split into user, system and softirq: the last is where the
//! kernel receives packets, filters them with nftables, and runs XDP on a veth), and one
//! thread's own time (`CLOCK_THREAD_CPUTIME_ID`).

use std::time::Duration;

/// The machine's cumulative CPU time, all CPUs together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCpu {
    pub user: Duration,
    pub system: Duration,
    pub softirq: Duration,
    /// user + nice + system + irq + softirq (not idle, iowait or steal).
    pub busy: Duration,
}

impl MachineCpu {
    /// The growth since `before`.
    pub fn since(&self, before: &MachineCpu) -> MachineCpu {
        MachineCpu {
            user: self.user.saturating_sub(before.user),
            system: self.system.saturating_sub(before.system),
            softirq: self.softirq.saturating_sub(before.softirq),
            busy: self.busy.saturating_sub(before.busy),
        }
    }
}

/// USER_HZ: /proc/stat counts in hundredths of a second on every Linux architecture that
/// netlab runs on (the kernel converts from its own HZ).
const TICK: Duration = Duration::from_millis(10);

/// The aggregate `cpu` line of a `/proc/stat` text: `cpu user nice system idle iowait irq
/// softirq steal ...`.
pub fn parse_stat(text: &str) -> Option<MachineCpu> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u32> = line
        .split_whitespace()
        .skip(1)
        .take(7)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, _idle, _iowait, irq, softirq] = ticks[..] else {
        return None;
    };
    Some(MachineCpu {
        user: TICK * (user + nice),
        system: TICK * system,
        softirq: TICK * softirq,
        busy: TICK * (user + nice + system + irq + softirq),
    })
}

/// The machine's CPU time now (zero if `/proc/stat` cannot be read).
pub fn machine_now() -> MachineCpu {
    parse_stat(&std::fs::read_to_string("/proc/stat").unwrap_or_default()).unwrap_or_default()
}

/// The CPU time the calling thread has used.
pub fn thread_now() -> Duration {
    // SAFETY: clock_gettime(2) writes one timespec, which is plain data.
    unsafe {
        let mut t: libc::timespec = std::mem::zeroed();
        if libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) != 0 {
            return Duration::ZERO;
        }
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregate_line_in_ticks_of_ten_milliseconds() {
        let text = "cpu  100 5 200 9000 10 1 50 7 0 0\ncpu0 50 2 100 4500 5 0 25 3 0 0\nintr 1\n";
        let c = parse_stat(text).unwrap();
        assert_eq!(c.user, Duration::from_millis(1050));
        assert_eq!(c.system, Duration::from_secs(2));
        assert_eq!(c.softirq, Duration::from_millis(500));
        assert_eq!(c.busy, Duration::from_millis(3560));
        let later = parse_stat(&text.replace("cpu  100", "cpu  130")).unwrap();
        assert_eq!(later.since(&c).busy, Duration::from_millis(300));
        assert_eq!(parse_stat("cpu0 1 2 3\n"), None);
        assert_eq!(parse_stat("cpu  1 2 x 4 5 6 7\n"), None);
    }

    #[test]
    fn a_thread_that_works_uses_cpu_time() {
        let before = thread_now();
        let mut x = 0u64;
        while thread_now() - before < Duration::from_millis(5) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(thread_now() > before);
    }
}
