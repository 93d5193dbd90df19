//! `--rate N/WINDOW [--burst K]`: when each request of a fetch leaves. Request `i` (from 0) is
//! due `i × WINDOW / N` after the first; with bursts of K, the requests of a group leave back
//! to back and the groups `K × WINDOW / N` apart, so the mean rate stays N per WINDOW:
//!
//! ```text
//! --rate 20/s             |    |    |    |    |    |     one request every 50 ms
//! --rate 20/s --burst 4   ||||                ||||      four at once, every 200 ms
//! ```
//!
//! Pure: the engine sleeps until each offset; `--concurrency` still bounds what is in flight.

use serde::{Deserialize, Serialize};

/// A pacing: `requests` per `window_ns`, in groups of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pacing {
    pub requests: u32,
    pub window_ns: u64,
    pub burst: u32,
}

impl Pacing {
    /// When request `i` (from 0) is due, in nanoseconds after the first.
    pub fn offset_ns(&self, i: u32) -> u64 {
        let burst = self.burst.max(1);
        let group_start = u128::from(i / burst) * u128::from(burst);
        let ns = group_start * u128::from(self.window_ns) / u128::from(self.requests.max(1));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }

    /// The mean rate, requests per second.
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) * 1e9 / self.window_ns.max(1) as f64
    }

    /// `20/s`, `5/100ms`, `20/s in bursts of 4`.
    pub fn label(&self) -> String {
        let window = match self.window_ns {
            1_000_000_000 => "s".to_string(),
            w if w % 1_000_000_000 == 0 => format!("{}s", w / 1_000_000_000),
            w if w % 1_000_000 == 0 => format!("{}ms", w / 1_000_000),
            w => format!("{}us", w / 1_000),
        };
        let burst = if self.burst > 1 {
            format!(" in bursts of {}", self.burst)
        } else {
            String::new()
        };
        format!("{}/{window}{burst}", self.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn evenly_spaced_at_i_over_r() {
        let p = Pacing {
            requests: 20,
            window_ns: S,
            burst: 1,
        };
        let at: Vec<u64> = (0..4).map(|i| p.offset_ns(i)).collect();
        assert_eq!(at, [0, 50_000_000, 100_000_000, 150_000_000]);
        assert_eq!(p.offset_ns(19), 950_000_000);
        assert_eq!(p.label(), "20/s");
        assert!((p.per_second() - 20.0).abs() < 1e-9);
        let p = Pacing {
            requests: 5,
            window_ns: 100_000_000,
            burst: 1,
        };
        assert_eq!(p.offset_ns(1), 20_000_000);
        assert!((p.per_second() - 50.0).abs() < 1e-9);
        assert_eq!(p.label(), "5/100ms");
    }

    #[test]
    fn bursts_leave_together_with_the_same_mean_rate() {
        let p = Pacing {
            requests: 20,
            window_ns: S,
            burst: 4,
        };
        let at: Vec<u64> = (0..9).map(|i| p.offset_ns(i) / 1_000_000).collect();
        assert_eq!(at, [0, 0, 0, 0, 200, 200, 200, 200, 400]);
        // 20 requests take as long in groups of 4 as one by one, give or take a group.
        assert_eq!(p.offset_ns(19), 800_000_000);
        assert_eq!(p.label(), "20/s in bursts of 4");
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let p = Pacing {
            requests: 1,
            window_ns: u64::MAX,
            burst: 1,
        };
        assert_eq!(p.offset_ns(10_000), u64::MAX);
    }
}
