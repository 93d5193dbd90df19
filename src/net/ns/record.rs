//! What the link did with every packet: one [`PacketRecord`] each, up to a limit, and counters
//! that are never limited.
//!
//! A record keeps the packet's first [`SNAPLEN`] bytes, its length and two times, which is
//! what a pcap of either side needs: the client's side sees an Up packet at `at_us` and a Down
//! packet at `at_us + after_us`, the servers' side the other way round, and a dropped packet
//! only on the side it came from.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::link::{Direction, DropReason, Verdict};

/// Bytes kept of each packet, like `tcpdump -s 256`: the IP and TCP headers with every option,
/// a TLS record header, a QUIC long header with the sample that header protection needs.
/// Whole packets would cost up to 64 KiB each at a jumbo MTU.
pub const SNAPLEN: usize = 256;

/// Dropped packets kept whole (the rest of them cut at [`SNAPLEN`] like any other): a lost
/// QUIC packet can then be opened to say what it carried. 1,024 jumbo packets are 64 MiB.
pub const WHOLE_DROPS: usize = 1024;

/// One packet's passage through the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRecord {
    /// When it arrived at the link, in microseconds since the forwarder started.
    pub at_us: u64,
    pub dir: Direction,
    /// Its IP length.
    pub len: usize,
    /// Whether it carried TCP or UDP payload (what the model was told).
    pub carries_data: bool,
    pub verdict: RecordVerdict,
    /// Its first [`SNAPLEN`] bytes (all of it when shorter, or when it was one of the first
    /// [`WHOLE_DROPS`] dropped), starting with the IP header.
    pub bytes: Vec<u8>,
}

/// What became of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordVerdict {
    /// Written to the far device `after_us` microseconds after it arrived.
    Forwarded { after_us: u64 },
    /// Dropped by the model, for `reason`.
    Dropped(DropReason),
    /// The model let it through but the forwarder's own queue was full (its memory bound:
    /// 16,384 packets or 32 MiB waiting per direction).
    Overflow,
}

/// Counters for one direction, for every packet whether recorded or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// Packets read from the near device, and their bytes.
    pub packets: u64,
    pub bytes: u64,
    /// Packets written to the far device.
    pub forwarded: u64,
    /// Packets the model dropped.
    pub dropped: u64,
    /// Packets refused by the full departure queue.
    pub overflowed: u64,
    /// Writes the far device refused (the packet is then lost).
    pub write_errors: u64,
}

/// Everything a stopped forwarder saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardLog {
    /// Both directions, in arrival order.
    pub records: Vec<PacketRecord>,
    /// Packets not recorded because `log_limit` records were already kept.
    pub omitted: u64,
    pub up: DirectionStats,
    pub down: DirectionStats,
    /// Why a direction stopped before it was asked to (one line each; empty normally).
    pub failures: Vec<String>,
}

/// One direction's recorder; both directions share the record budget.
#[derive(Debug)]
pub(crate) struct Recorder {
    dir: Direction,
    budget: Arc<AtomicUsize>,
    limit: usize,
    /// Dropped packets kept whole so far, both directions.
    whole: Arc<AtomicUsize>,
    records: Vec<PacketRecord>,
    omitted: u64,
    pub(crate) stats: DirectionStats,
    /// The error that ended this direction early, if one did.
    pub(crate) failure: Option<String>,
}

impl Recorder {
    /// Recorders for Up and Down sharing one budget of `limit` records.
    pub(crate) fn pair(limit: usize) -> (Recorder, Recorder) {
        let budget = Arc::new(AtomicUsize::new(0));
        let whole = Arc::new(AtomicUsize::new(0));
        let make = |dir| Recorder {
            dir,
            budget: Arc::clone(&budget),
            limit,
            whole: Arc::clone(&whole),
            records: Vec::new(),
            omitted: 0,
            stats: DirectionStats::default(),
            failure: None,
        };
        (make(Direction::Up), make(Direction::Down))
    }

    /// Records `packet`, which arrived at `now` and got `verdict` (Overflow when it was
    /// forwarded but found the queue full).
    pub(crate) fn record(&mut self, now: Duration, packet: &[u8], carries_data: bool, verdict: RecordVerdict) {
        self.stats.packets += 1;
        self.stats.bytes += packet.len() as u64;
        match verdict {
            RecordVerdict::Forwarded { .. } => {}
            RecordVerdict::Dropped(_) => self.stats.dropped += 1,
            RecordVerdict::Overflow => self.stats.overflowed += 1,
        }
        // Checking first keeps the shared counter still once the budget is spent.
        if self.budget.load(Ordering::Relaxed) >= self.limit
            || self.budget.fetch_add(1, Ordering::Relaxed) >= self.limit
        {
            self.omitted += 1;
            return;
        }
        let keep_whole = matches!(verdict, RecordVerdict::Dropped(_))
            && packet.len() > SNAPLEN
            && self.whole.fetch_add(1, Ordering::Relaxed) < WHOLE_DROPS;
        let kept = if keep_whole {
            packet.len()
        } else {
            packet.len().min(SNAPLEN)
        };
        self.records.push(PacketRecord {
            at_us: micros(now),
            dir: self.dir,
            len: packet.len(),
            carries_data,
            verdict,
            bytes: packet[..kept].to_vec(),
        });
    }

    /// Both directions' records, merged in arrival order.
    pub(crate) fn merge(up: Recorder, down: Recorder) -> ForwardLog {
        let mut records = up.records;
        records.extend(down.records);
        records.sort_by_key(|r| r.at_us);
        ForwardLog {
            records,
            omitted: up.omitted + down.omitted,
            up: up.stats,
            down: down.stats,
            failures: up.failure.into_iter().chain(down.failure).collect(),
        }
    }
}

impl RecordVerdict {
    /// The record of the model's verdict for a packet that arrived at `now`.
    pub(crate) fn of(verdict: Verdict, now: Duration) -> RecordVerdict {
        match verdict {
            Verdict::Forward { depart } => RecordVerdict::Forwarded {
                after_us: micros(depart.saturating_sub(now)),
            },
            Verdict::Drop(reason) => RecordVerdict::Dropped(reason),
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_the_rest_counted() {
        let (mut up, mut down) = Recorder::pair(3);
        let forwarded = RecordVerdict::Forwarded { after_us: 0 };
        up.record(Duration::from_micros(5), &[0x45; 300], true, forwarded);
        down.record(Duration::from_micros(1), &[0x45; 40], false, forwarded);
        up.record(
            Duration::from_micros(9),
            &[0x45; 300],
            false,
            RecordVerdict::Dropped(DropReason::Loss),
        );
        down.record(Duration::from_micros(12), &[0x45; 40], false, RecordVerdict::Overflow);
        let log = Recorder::merge(up, down);
        let times: Vec<u64> = log.records.iter().map(|r| r.at_us).collect();
        assert_eq!(times, [1, 5, 9]);
        assert_eq!(log.omitted, 1);
        assert_eq!((log.records[1].len, log.records[1].bytes.len()), (300, SNAPLEN));
        // A dropped packet is kept whole, so that what it carried can be read.
        assert_eq!(log.records[2].bytes.len(), 300);
        assert_eq!((log.up.packets, log.up.dropped), (2, 1));
        assert_eq!((log.down.packets, log.down.overflowed, log.down.bytes), (2, 1, 80));
    }
}
