//! The link's scheduler: a pure model on a virtual clock. A packet goes in with the time it
//! arrived; out comes the time it leaves the far end, or why it was dropped.
//!
//! ```text
//!  offer ──► MTU ──► drop= ──► loss ──► queue ──► rate ──► delay ± jitter ──► FIFO ──► depart
//!             │        │         │        │      (serialize    (propagate)      │
//!          TooBig   Chosen  Loss|Burst QueueFull  len·8/rate)          reorder: held back,
//!                                                                       later ones overtake
//! ```
//!
//! Each [`Direction`] is a separate lane with its own random streams, loss chain, data-packet
//! counter, bottleneck and queue; the two never interact. Time is a [`Duration`] since the link
//! started and must not go backwards within a lane (the I/O shell passes its monotonic clock).
//!
//! **The bottleneck.** With `rate=`, a packet starts transmitting at max(now, busy_until) and
//! takes len·8/rate seconds (rounded up to the nanosecond); the link is busy until it ends. The
//! packets admitted but not yet started wait in a drop-tail queue of `queue` packets; the one on
//! the wire is not counted, as in Linux, where the packet handed to the driver has left the
//! qdisc. So a burst offered at one instant to an idle link admits `queue + 1` packets.
//!
//! **Delay, jitter, order.** After the bottleneck a packet propagates for delay ± jitter, drawn
//! uniformly. Without reordering the link is FIFO: a packet never departs before the one offered
//! before it (depart = max(its own time, the previous departure)), so jitter spreads packets out
//! but never swaps them, like a real path through one queue. A packet picked for reordering is
//! held back a further `reorder_gap` and does not hold up the packets behind it.
//!
//! **Randomness.** Every random choice comes from SplitMix64, written here so that a seed
//! means the same drops in every netlab version. Each lane has three streams, for loss, jitter
//! and reordering, and every offered packet takes exactly one draw from each, whatever happens
//! to it. So the n-th packet's fate under loss depends only on the seed, the direction and n:
//! two runs with the same seed and different delays or rates lose the same packets, which is
//! what paired comparisons need.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use super::spec::{Counting, LinkSpec, RESPONSE_PACKET_MIN};
use super::{Direction, DropReason, Offer, Verdict};

/// Counters for one direction, for traces and `--json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    /// Packets offered to the link.
    pub offered: u64,
    /// Packets that left the far end (`offered = forwarded + dropped.total()`).
    pub forwarded: u64,
    /// Packets dropped, by reason.
    pub dropped: DropCounts,
    /// Forwarded packets that were held back for reordering.
    pub held_back: u64,
    /// The most packets that ever waited in the queue at once.
    pub max_queue: usize,
}

/// Dropped packets by [`DropReason`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DropCounts {
    /// Random, independent losses (`loss=` without `burst=`).
    pub loss: u64,
    /// Losses in the Gilbert-Elliott chain's Bad state (`loss=` with `burst=`).
    pub burst: u64,
    /// Packets `drop=` named.
    pub chosen: u64,
    /// Arrivals that found the queue full.
    pub queue_full: u64,
    /// Packets larger than the MTU.
    pub too_big: u64,
}

impl DropCounts {
    /// All drops, whatever the reason.
    pub fn total(&self) -> u64 {
        self.loss + self.burst + self.chosen + self.queue_full + self.too_big
    }

    fn count(&mut self, reason: DropReason) {
        let counter = match reason {
            DropReason::Loss => &mut self.loss,
            DropReason::Burst => &mut self.burst,
            DropReason::Chosen => &mut self.chosen,
            DropReason::QueueFull => &mut self.queue_full,
            DropReason::TooBig => &mut self.too_big,
        };
        *counter += 1;
    }
}

/// The emulated link: two independent lanes, one per [`Direction`].
#[derive(Debug, Clone)]
pub struct Link {
    up: Lane,
    down: Lane,
}

impl Link {
    /// A link that behaves as `spec` says, with fresh state and counters.
    ///
    /// `spec` should be validated ([`LinkSpec::parse`] does it); an unvalidated one cannot make
    /// the model panic, only behave oddly (a jitter above the delay is cut off at zero delay).
    pub fn new(spec: &LinkSpec) -> Link {
        Link {
            up: Lane::new(spec, Direction::Up),
            down: Lane::new(spec, Direction::Down),
        }
    }

    /// Decides the fate of a packet that reaches the link in direction `dir` at `now`, the
    /// virtual time since the link started. `now` must not decrease within a direction (if it
    /// does, the answer is meaningless but nothing panics). Allocates nothing once the queue
    /// has grown to its working size.
    pub fn offer(&mut self, dir: Direction, now: Duration, offer: Offer) -> Verdict {
        self.lane_mut(dir).offer(now, offer)
    }

    /// The client has sent its requests: from now on the down lane counts response packets
    /// for `drop=response:N`. Only the first call after [`Link::new`] counts, so a second
    /// batch of requests does not start the count again.
    pub fn requests_sent(&mut self) {
        self.down.responses_seen.get_or_insert(0);
        for lane in [&mut self.up, &mut self.down] {
            lane.exchange_drops.get_or_insert(0);
        }
    }

    /// Packets dropped in either direction, for whatever reason, since
    /// [`Link::requests_sent`]: the losses the exchange of requests and responses met.
    pub fn exchange_drops(&self) -> u64 {
        self.up.exchange_drops.unwrap_or(0) + self.down.exchange_drops.unwrap_or(0)
    }

    /// The counters of one direction so far.
    pub fn stats(&self, dir: Direction) -> LinkStats {
        match dir {
            Direction::Up => self.up.stats,
            Direction::Down => self.down.stats,
        }
    }

    fn lane_mut(&mut self, dir: Direction) -> &mut Lane {
        match dir {
            Direction::Up => &mut self.up,
            Direction::Down => &mut self.down,
        }
    }
}

/// Which of a lane's random streams: each gets its own, so that turning one impairment on does
/// not change the draws of another.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Loss = 0,
    Jitter = 1,
    Reorder = 2,
}

/// SplitMix64 (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants from S. Vigna's `splitmix64.c`): a 64-bit counter stepped by the
/// golden ratio, 0x9e3779b97f4a7c15, and passed through a bijective mixer. It passes BigCrush,
/// costs three multiplies per draw and fits in a u64, which is all a link emulator needs; it is
/// not for cryptography.
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

    /// The stream for (seed, direction, purpose): state = mix(seed ⊕ mix(tag)), with a distinct
    /// non-zero tag per direction and purpose, so nearby seeds give unrelated streams.
    fn stream(seed: u64, dir: Direction, stream: Stream) -> Self {
        let dir_tag: u64 = match dir {
            Direction::Up => 0,
            Direction::Down => 1,
        };
        let tag = 1 + dir_tag * 16 + stream as u64;
        SplitMix64 {
            state: mix(seed ^ mix(tag.wrapping_mul(Self::GAMMA))),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        mix(self.state)
    }

    /// Uniform in [0, 1): the top 53 bits, the precision of an f64.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in 0..span (span ≥ 1), by multiply-and-shift (Lemire), without a division.
    fn below(&mut self, span: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u64
    }
}

/// SplitMix64's finalizer (a variant of MurmurHash3's fmix64).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// How a lane loses packets at random.
#[derive(Debug, Clone)]
enum Loss {
    /// Each packet lost independently with probability `p` (0 for no loss).
    Bernoulli { p: f64 },
    /// The simple Gilbert-Elliott chain of the spec module: every packet in the Bad state is
    /// lost; `p` = P(Good → Bad), `r` = P(Bad → Good).
    GilbertElliott { p: f64, r: f64, bad: bool },
}

impl Loss {
    fn new(loss_percent: f64, burst: Option<f64>) -> Loss {
        let l = loss_percent / 100.0;
        match burst {
            None => Loss::Bernoulli { p: l },
            Some(b) => {
                // Mean stay in Bad is 1/r = b; time in Bad is p/(p + r) = l.
                let r = 1.0 / b;
                Loss::GilbertElliott {
                    p: l * r / (1.0 - l),
                    r,
                    bad: false,
                }
            }
        }
    }

    /// One packet's step, from one uniform draw `u`: the chain moves first, then the state it
    /// lands in decides.
    fn step(&mut self, u: f64) -> Option<DropReason> {
        match self {
            Loss::Bernoulli { p } => (u < *p).then_some(DropReason::Loss),
            Loss::GilbertElliott { p, r, bad } => {
                *bad = if *bad { u >= *r } else { u < *p };
                bad.then_some(DropReason::Burst)
            }
        }
    }
}

/// The rate limiter and its drop-tail queue.
#[derive(Debug, Clone)]
struct Bottleneck {
    /// Bits per second, at least 1.
    rate: u64,
    /// How many packets may wait.
    limit: usize,
    /// When the packet now on the wire has been sent.
    busy_until: Duration,
    /// Start times of the packets admitted but not yet on the wire, earliest first.
    waiting: VecDeque<Duration>,
}

impl Bottleneck {
    /// Admits a packet of `len` bytes at `now` and returns when its last bit has been sent, or
    /// `None` when the queue is full.
    fn admit(&mut self, now: Duration, len: usize) -> Option<Duration> {
        while self.waiting.front().is_some_and(|&start| start <= now) {
            self.waiting.pop_front();
        }
        if self.waiting.len() >= self.limit {
            return None;
        }
        let start = now.max(self.busy_until);
        let bits = len as u128 * 8;
        let ns = (bits * 1_000_000_000).div_ceil(u128::from(self.rate));
        self.busy_until = start.saturating_add(nanos(ns));
        if start > now {
            self.waiting.push_back(start);
        }
        Some(self.busy_until)
    }
}

/// A count of nanoseconds as a Duration, saturating at u64::MAX ns (584 years).
fn nanos(ns: u128) -> Duration {
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// One direction of the link.
#[derive(Debug, Clone)]
struct Lane {
    mtu: usize,
    /// The `drop=` numbers for this direction, sorted; `next_chosen` indexes the next one due.
    chosen: Vec<u64>,
    next_chosen: usize,
    /// Data-carrying packets offered so far.
    data_seen: u64,
    /// The `drop=response:N` numbers, sorted; `next_response` indexes the next one due.
    chosen_responses: Vec<u64>,
    next_response: usize,
    /// Response packets offered since the requests were sent; `None` before.
    responses_seen: Option<u64>,
    /// Drops since the requests were sent; `None` before.
    exchange_drops: Option<u64>,
    loss: Loss,
    loss_rng: SplitMix64,
    bottleneck: Option<Bottleneck>,
    /// delay − jitter: the shortest propagation time.
    delay_floor: Duration,
    /// 2·jitter + 1 ns: the number of possible propagation times.
    jitter_span: u64,
    jitter_rng: SplitMix64,
    reorder_p: f64,
    hold_back: Duration,
    reorder_rng: SplitMix64,
    /// Departure of the last packet that was not held back (the FIFO bound).
    last_depart: Duration,
    stats: LinkStats,
}

impl Lane {
    fn new(spec: &LinkSpec, dir: Direction) -> Lane {
        let d = spec.direction(dir);
        let numbers = |counting: Counting| {
            let mut n: Vec<u64> = spec
                .drops
                .iter()
                .filter(|c| c.direction == dir && c.counting == counting)
                .map(|c| c.nth)
                .collect();
            n.sort_unstable();
            n.dedup();
            n
        };
        let bottleneck = match (d.rate, spec.queue_packets(dir)) {
            (Some(rate), Some(limit)) if rate > 0 => Some(Bottleneck {
                rate,
                limit,
                busy_until: Duration::ZERO,
                waiting: VecDeque::with_capacity(limit.min(4096)),
            }),
            _ => None,
        };
        let jitter_ns = u64::try_from(d.jitter.as_nanos()).unwrap_or(u64::MAX);
        Lane {
            mtu: spec.mtu,
            chosen: numbers(Counting::DataPackets),
            next_chosen: 0,
            data_seen: 0,
            chosen_responses: numbers(Counting::ResponsePackets),
            next_response: 0,
            responses_seen: None,
            exchange_drops: None,
            loss: Loss::new(d.loss_percent, d.burst),
            loss_rng: SplitMix64::stream(spec.seed, dir, Stream::Loss),
            bottleneck,
            delay_floor: d.delay.saturating_sub(d.jitter),
            jitter_span: jitter_ns.saturating_mul(2).saturating_add(1),
            jitter_rng: SplitMix64::stream(spec.seed, dir, Stream::Jitter),
            reorder_p: d.reorder_percent / 100.0,
            hold_back: d.hold_back(),
            reorder_rng: SplitMix64::stream(spec.seed, dir, Stream::Reorder),
            last_depart: Duration::ZERO,
            stats: LinkStats::default(),
        }
    }

    fn offer(&mut self, now: Duration, offer: Offer) -> Verdict {
        self.stats.offered += 1;
        // One draw from each stream and one step of the counter per packet, whatever its fate.
        let lost = self.loss.step(self.loss_rng.next_f64());
        let spread = Duration::from_nanos(self.jitter_rng.below(self.jitter_span));
        let held_back = self.reorder_rng.next_f64() < self.reorder_p;
        let chosen = offer.carries_data && self.next_data_is_chosen();
        let chosen_response = offer.carries_data && offer.len >= RESPONSE_PACKET_MIN && self.next_response_is_chosen();

        if offer.len > self.mtu {
            return self.discard(DropReason::TooBig);
        }
        if chosen || chosen_response {
            return self.discard(DropReason::Chosen);
        }
        if let Some(reason) = lost {
            return self.discard(reason);
        }
        let sent = match &mut self.bottleneck {
            Some(b) => {
                let Some(sent) = b.admit(now, offer.len) else {
                    return self.discard(DropReason::QueueFull);
                };
                self.stats.max_queue = self.stats.max_queue.max(b.waiting.len());
                sent
            }
            None => now,
        };
        let arrives = sent.saturating_add(self.delay_floor).saturating_add(spread);
        let in_order = arrives.max(self.last_depart);
        let depart = if held_back {
            self.stats.held_back += 1;
            in_order.saturating_add(self.hold_back)
        } else {
            self.last_depart = in_order;
            in_order
        };
        self.stats.forwarded += 1;
        Verdict::Forward { depart }
    }

    /// Counts a data-carrying packet and says whether `drop=` names it.
    fn next_data_is_chosen(&mut self) -> bool {
        self.data_seen += 1;
        if self.chosen.get(self.next_chosen) == Some(&self.data_seen) {
            self.next_chosen += 1;
            true
        } else {
            false
        }
    }

    /// Counts a response packet, once the requests were sent, and says whether
    /// `drop=response:N` names it.
    fn next_response_is_chosen(&mut self) -> bool {
        let Some(seen) = self.responses_seen.as_mut() else {
            return false;
        };
        *seen += 1;
        if self.chosen_responses.get(self.next_response) == Some(seen) {
            self.next_response += 1;
            true
        } else {
            false
        }
    }

    fn discard(&mut self, reason: DropReason) -> Verdict {
        self.stats.dropped.count(reason);
        if let Some(n) = self.exchange_drops.as_mut() {
            *n += 1;
        }
        Verdict::Drop(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str) -> Link {
        match LinkSpec::parse(text) {
            Ok(spec) => Link::new(&spec),
            Err(e) => panic!("{text}: {}", e.one_line()),
        }
    }

    const DATA: Offer = Offer {
        len: 1200,
        carries_data: true,
    };
    const ACK: Offer = Offer {
        len: 52,
        carries_data: false,
    };
    const FULL: Offer = Offer {
        len: 1500,
        carries_data: true,
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn depart(v: Verdict) -> Duration {
        match v {
            Verdict::Forward { depart } => depart,
            Verdict::Drop(reason) => panic!("dropped: {reason:?}"),
        }
    }

    /// Offers `n` data packets `gap` apart in one direction and returns the verdicts.
    fn run(link: &mut Link, dir: Direction, n: u64, gap: Duration) -> Vec<Verdict> {
        (0..n)
            .map(|i| link.offer(dir, gap * u32::try_from(i).unwrap_or(u32::MAX), DATA))
            .collect()
    }

    fn dropped_at(verdicts: &[Verdict], reason: DropReason) -> Vec<usize> {
        (0..verdicts.len())
            .filter(|&i| verdicts[i] == Verdict::Drop(reason))
            .collect()
    }

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // The first outputs of Vigna's splitmix64.c from state 0: a change here changes every
        // seed's drops.
        let mut rng = SplitMix64 { state: 0 };
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn delay_is_exact_without_jitter() {
        let mut l = link("rtt=50ms");
        for t in [0, 3, 17, 1000] {
            assert_eq!(depart(l.offer(Direction::Up, ms(t), DATA)), ms(t + 25));
            assert_eq!(depart(l.offer(Direction::Down, ms(t), ACK)), ms(t + 25));
        }
        let s = l.stats(Direction::Up);
        assert_eq!((s.offered, s.forwarded, s.dropped.total()), (4, 4, 0));
    }

    #[test]
    fn jitter_stays_within_bounds_and_keeps_order() {
        // Packets 20 ms apart never meet: each delay is free, within 10 ms ± 5 ms.
        let mut l = link("delay=10ms,jitter=5ms");
        let sparse = run(&mut l, Direction::Down, 1000, ms(20));
        let delays: Vec<Duration> = (0..1000u32).map(|i| depart(sparse[i as usize]) - ms(20) * i).collect();
        assert!(delays.iter().all(|d| (ms(5)..=ms(15)).contains(d)));
        assert!(delays.iter().any(|d| *d < ms(7)) && delays.iter().any(|d| *d > ms(13)));
        // Packets 1 ms apart would swap; FIFO keeps them in order, still within the bounds.
        let mut l = link("delay=10ms,jitter=5ms");
        let dense = run(&mut l, Direction::Down, 1000, ms(1));
        let departs: Vec<Duration> = dense.into_iter().map(depart).collect();
        assert!(departs.windows(2).all(|w| w[0] <= w[1]));
        for (i, d) in (0u32..).zip(&departs) {
            assert!((ms(5)..=ms(15)).contains(&(*d - ms(1) * i)), "packet {i} at {d:?}");
        }
    }

    #[test]
    fn loss_rate_is_binomial_and_the_seed_fixes_it() {
        // 10000 packets at 2%: mean 200, sigma = sqrt(10000 · 0.02 · 0.98) = 14; allow 4 sigma.
        let mut l = link("loss=2%");
        let verdicts = run(&mut l, Direction::Up, 10_000, us(100));
        let lost = dropped_at(&verdicts, DropReason::Loss);
        assert!((144..=256).contains(&lost.len()), "{} lost", lost.len());
        assert_eq!(l.stats(Direction::Up).dropped.loss, lost.len() as u64);

        let mut again = link("loss=2%");
        assert_eq!(
            dropped_at(&run(&mut again, Direction::Up, 10_000, us(100)), DropReason::Loss),
            lost
        );
        let mut other_seed = link("loss=2%,seed=2");
        assert_ne!(
            dropped_at(&run(&mut other_seed, Direction::Up, 10_000, us(100)), DropReason::Loss),
            lost
        );
        let mut other_way = link("loss=2%");
        assert_ne!(
            dropped_at(&run(&mut other_way, Direction::Down, 10_000, us(100)), DropReason::Loss),
            lost
        );
    }

    #[test]
    fn the_same_seed_loses_the_same_packets_whatever_the_delay() {
        let mut plain = link("loss=3%");
        let mut slow = link("loss=3%,delay=40ms,jitter=10ms,reorder=5%,rate=100mbit,queue=100000");
        let a = run(&mut plain, Direction::Down, 5000, ms(1));
        let b = run(&mut slow, Direction::Down, 5000, ms(1));
        assert_eq!(dropped_at(&a, DropReason::Loss), dropped_at(&b, DropReason::Loss));
    }

    #[test]
    fn burst_loss_has_the_configured_mean_length_and_rate() {
        // Bursts of 4 on average (geometric, variance 12): about 2500 bursts, so the mean's
        // sigma is sqrt(12/2500) = 0.07. The loss rate's sigma, inflated by the chain's memory
        // ((1 + λ)/(1 − λ) with λ = 1 − p − r = 0.74), is about 0.13%.
        let mut l = link("loss=5%,burst=4");
        let verdicts = run(&mut l, Direction::Up, 200_000, us(10));
        let mut bursts = Vec::new();
        let mut current = 0u32;
        for v in &verdicts {
            match v {
                Verdict::Drop(DropReason::Burst) => current += 1,
                Verdict::Forward { .. } if current > 0 => {
                    bursts.push(current);
                    current = 0;
                }
                Verdict::Forward { .. } => {}
                Verdict::Drop(other) => panic!("unexpected {other:?}"),
            }
        }
        let lost: u32 = bursts.iter().sum::<u32>() + current;
        let mean = f64::from(lost - current) / bursts.len() as f64;
        assert!((3.7..=4.3).contains(&mean), "mean burst {mean}");
        let rate = f64::from(lost) / verdicts.len() as f64;
        assert!((0.045..=0.055).contains(&rate), "loss {rate}");
        assert_eq!(l.stats(Direction::Up).dropped.burst, u64::from(lost));
    }

    #[test]
    fn drop_names_the_nth_data_packet_not_acks() {
        let mut l = link("drop=down:3");
        let offers = [DATA, ACK, DATA, ACK, ACK, DATA, DATA];
        let down: Vec<Verdict> = offers.iter().map(|&o| l.offer(Direction::Down, ms(1), o)).collect();
        assert_eq!(dropped_at(&down, DropReason::Chosen), [5]);
        let up: Vec<Verdict> = offers.iter().map(|&o| l.offer(Direction::Up, ms(1), o)).collect();
        assert!(dropped_at(&up, DropReason::Chosen).is_empty());
        assert_eq!(l.stats(Direction::Down).dropped.chosen, 1);
    }

    #[test]
    fn drop_response_counts_full_server_packets_after_the_requests() {
        let mut l = link("drop=response:2");
        let small = Offer {
            len: 300,
            carries_data: true,
        };
        let down = |l: &mut Link, o: Offer| l.offer(Direction::Down, ms(1), o);
        // Before the requests nothing counts, however big (the handshake's flight).
        assert!((0..5).all(|_| matches!(down(&mut l, FULL), Verdict::Forward { .. })));
        l.requests_sent();
        // Tickets, SETTINGS and ACKs are not response packets; the second full one is dropped.
        let after: Vec<Verdict> = [small, ACK, DATA, small, FULL, FULL]
            .iter()
            .map(|&o| down(&mut l, o))
            .collect();
        assert_eq!(dropped_at(&after, DropReason::Chosen), [4]);
        // A second batch of requests does not start the count again.
        l.requests_sent();
        assert!(matches!(down(&mut l, DATA), Verdict::Forward { .. }));
        assert!(matches!(down(&mut l, DATA), Verdict::Forward { .. }));
        // Nor does the up direction ever count responses.
        assert!(matches!(l.offer(Direction::Up, ms(1), FULL), Verdict::Forward { .. }));
        assert_eq!(l.stats(Direction::Down).dropped.chosen, 1);
        // The exchange met one drop: the chosen one (the five before the requests do not count).
        assert_eq!(l.exchange_drops(), 1);
    }

    #[test]
    fn queue_overflows_exactly_at_its_size() {
        // One packet goes on the wire, ten wait, the rest find the queue full.
        let mut l = link("rate=12mbit,queue=10");
        let burst: Vec<Verdict> = (0..20).map(|_| l.offer(Direction::Up, Duration::ZERO, FULL)).collect();
        assert_eq!(dropped_at(&burst, DropReason::QueueFull), (11..20).collect::<Vec<_>>());
        let s = l.stats(Direction::Up);
        assert_eq!((s.forwarded, s.dropped.queue_full, s.max_queue), (11, 9, 10));
        // 1 ms later the first packet has left and the second is on the wire: one place is free.
        assert!(matches!(l.offer(Direction::Up, ms(1), FULL), Verdict::Forward { .. }));
        assert_eq!(
            l.offer(Direction::Up, ms(1), FULL),
            Verdict::Drop(DropReason::QueueFull)
        );
    }

    #[test]
    fn rate_spaces_packets_by_their_serialization_time() {
        // 1500 bytes · 8 / 12 mbit/s = 1 ms.
        let mut l = link("rate=12mbit,queue=1000");
        let departs: Vec<Duration> = (0..1000)
            .map(|_| depart(l.offer(Direction::Down, Duration::ZERO, FULL)))
            .collect();
        for (i, d) in (1u32..).zip(&departs) {
            assert_eq!(*d, ms(1) * i);
        }
        assert_eq!(l.stats(Direction::Down).max_queue, 999);
        // The delay comes on top of the serialization time.
        let mut l = link("rate=12mbit,delay=10ms");
        assert_eq!(depart(l.offer(Direction::Up, ms(5), FULL)), ms(16));
    }

    #[test]
    fn reordering_lets_later_packets_overtake() {
        let overtaken = |text: &str| {
            let mut l = link(text);
            let mut latest = Duration::ZERO;
            let mut count = 0;
            for v in run(&mut l, Direction::Up, 2000, ms(1)) {
                let d = depart(v);
                if d < latest {
                    count += 1;
                }
                latest = latest.max(d);
            }
            (count, l.stats(Direction::Up).held_back)
        };
        let (count, held) = overtaken("delay=10ms,reorder=5%");
        assert!(count > 0 && held > 50, "{count} overtaken, {held} held back");
        assert_eq!(overtaken("delay=10ms,jitter=10ms"), (0, 0));
    }

    #[test]
    fn packets_over_the_mtu_are_too_big() {
        let mut l = link("mtu=1400");
        let big = Offer {
            len: 1401,
            carries_data: true,
        };
        let fits = Offer { len: 1400, ..big };
        assert_eq!(l.offer(Direction::Up, ms(0), big), Verdict::Drop(DropReason::TooBig));
        assert!(matches!(l.offer(Direction::Up, ms(0), fits), Verdict::Forward { .. }));
        assert_eq!(l.stats(Direction::Up).dropped.too_big, 1);
    }

    #[test]
    fn stats_serialize_with_reason_names() {
        let mut l = link("mtu=1280");
        l.offer(Direction::Down, ms(0), FULL);
        let json = serde_json::to_value(l.stats(Direction::Down)).expect("stats serialize");
        assert_eq!(json["dropped"]["too_big"], 1);
        assert_eq!(json["offered"], 1);
    }
}
