//! Packets in flight on one direction of the link, waiting for their departure time.
//!
//! Ordered by departure, then by arrival: first in, first out, unless the model gives a later
//! packet an earlier departure (reordering). Bounded in packets and in bytes, like a router's
//! buffer: a packet beyond either bound is refused and the caller counts it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// At most this many packets wait in one direction.
pub(crate) const MAX_PACKETS: usize = 16_384;
/// At most this many bytes wait in one direction (25 ms at 10 Gbit/s).
pub(crate) const MAX_BYTES: usize = 32 << 20;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Waiting {
    depart: Duration,
    /// Arrival order, so equal departures leave first in, first out.
    seq: u64,
    packet: Vec<u8>,
}

/// The departure queue of one direction.
#[derive(Debug)]
pub(crate) struct Pending {
    heap: BinaryHeap<Reverse<Waiting>>,
    bytes: usize,
    seq: u64,
    max_packets: usize,
    max_bytes: usize,
}

/// The queue was full; the packet was not taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Full;

impl Pending {
    pub(crate) fn new(max_packets: usize, max_bytes: usize) -> Pending {
        Pending {
            heap: BinaryHeap::new(),
            bytes: 0,
            seq: 0,
            max_packets,
            max_bytes,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Queues a copy of `packet` to leave at `depart`.
    pub(crate) fn push(&mut self, depart: Duration, packet: &[u8]) -> Result<(), Full> {
        if self.heap.len() >= self.max_packets || self.bytes + packet.len() > self.max_bytes {
            return Err(Full);
        }
        self.bytes += packet.len();
        self.seq += 1;
        self.heap.push(Reverse(Waiting {
            depart,
            seq: self.seq,
            packet: packet.to_vec(),
        }));
        Ok(())
    }

    /// When the next packet leaves, if any waits.
    pub(crate) fn next_departure(&self) -> Option<Duration> {
        self.heap.peek().map(|w| w.0.depart)
    }

    /// The next packet whose departure is at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Duration) -> Option<Vec<u8>> {
        if self.next_departure()? > now {
            return None;
        }
        let Reverse(waiting) = self.heap.pop()?;
        self.bytes -= waiting.packet.len();
        Some(waiting.packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn equal_departures_leave_in_arrival_order() {
        let mut q = Pending::new(10, 1000);
        for byte in [1u8, 2, 3] {
            q.push(5 * MS, &[byte]).unwrap();
        }
        assert_eq!(q.pop_due(4 * MS), None, "not due yet");
        let order: Vec<u8> = std::iter::from_fn(|| q.pop_due(5 * MS)).map(|p| p[0]).collect();
        assert_eq!(order, [1, 2, 3]);
        assert!(q.is_empty());
    }

    #[test]
    fn an_earlier_departure_overtakes() {
        let mut q = Pending::new(10, 1000);
        q.push(10 * MS, b"first").unwrap();
        q.push(3 * MS, b"second").unwrap();
        assert_eq!(q.next_departure(), Some(3 * MS));
        assert_eq!(q.pop_due(20 * MS).as_deref(), Some(&b"second"[..]));
        assert_eq!(q.pop_due(20 * MS).as_deref(), Some(&b"first"[..]));
    }

    #[test]
    fn bounded_in_packets_and_bytes() {
        let mut q = Pending::new(2, 1000);
        q.push(MS, &[0; 10]).unwrap();
        q.push(MS, &[0; 10]).unwrap();
        assert_eq!(q.push(MS, &[0; 10]), Err(Full), "third packet");
        let mut q = Pending::new(10, 100);
        q.push(MS, &[0; 60]).unwrap();
        assert_eq!(q.push(MS, &[0; 41]), Err(Full), "101 bytes");
        q.push(MS, &[0; 40]).unwrap();
        q.pop_due(MS).unwrap();
        q.push(MS, &[0; 60]).unwrap();
    }
}
