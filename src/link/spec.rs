//! `--link`: what the emulated link does, as users write it and as netlab prints it back.
//!
//! ```text
//!   --link 4g                           a preset
//!   --link rtt=80ms,loss=1%             keys, comma-separated
//!   --link 4g,loss=5%,down.rate=5mbit   a preset first, then overrides
//! ```
//!
//! Tokens apply left to right and a later one wins: in `delay=10ms,up.delay=20ms` the up
//! direction has 20 ms and the down direction 10 ms; in `up.delay=20ms,delay=10ms` both have
//! 10 ms. A preset may only come first. Keys and units are case-insensitive.
//!
//! | key | example | meaning |
//! |---|---|---|
//! | `rtt` | `rtt=50ms` | round trip: half of it is the one-way `delay` of each direction |
//! | `delay` | `delay=25ms` | one-way propagation delay |
//! | `jitter` | `jitter=5ms` | each packet's delay is uniform in delay ± jitter (jitter ≤ delay); packets stay in order |
//! | `loss` | `loss=1%` | random loss, each packet independently (Bernoulli) |
//! | `burst` | `burst=3` | mean loss-burst length in packets: `loss` becomes a Gilbert-Elliott chain |
//! | `reorder` | `reorder=1%` | that share of packets is held back by `reorder_gap`, so later ones overtake it |
//! | `reorder_gap` | `reorder_gap=10ms` | how long a reordered packet is held back (default: one `delay`) |
//! | `rate` | `rate=20mbit` | bottleneck bandwidth in bits per second: `bit`, `kbit`, `mbit`, `gbit` (tc's units) |
//! | `queue` | `queue=100` | drop-tail queue in packets in front of the bottleneck (default: one BDP) |
//! | `mtu` | `mtu=1400` | largest IP packet in bytes, 1280 to 65535 (default 1500) |
//! | `seed` | `seed=7` | seed of the random choices (default 1: runs are reproducible) |
//! | `drop` | `drop=down:7+down:9` | drop exactly these data-carrying packets (bare ACKs not counted), from 1 per direction; `+` joins items |
//! | | `drop=response:1` | drop the Nth full-sized packet of the servers' responses: counted among the server's packets of at least 1000 octets sent after the client's requests, so handshakes, tickets, settings and ACKs are not counted |
//!
//! `delay`, `jitter`, `loss`, `burst`, `reorder`, `reorder_gap`, `rate` and `queue` take an
//! `up.` or `down.` prefix (`down.rate=20mbit,up.rate=2mbit`); without one they set both
//! directions. Durations take `us`, `ms` or `s` (and `ns`); decimals are fine (`0.5ms`).
//!
//! Units follow tc: `mbit` is megabits per second. tc reads `mbps` as *megabytes* per second while
//! most people mean megabits, so netlab refuses `bps`, `kbps`, `mbps`, `gbps` (and a bare `m`)
//! and says which `…bit` to write.
//!
//! ## Burst loss: the Gilbert-Elliott chain
//!
//! With `burst=B`, losses come from a two-state Markov chain (E. N. Gilbert, "Capacity of a
//! burst-noise channel", Bell Syst. Tech. J. 39, 1960; E. O. Elliott, BSTJ 42, 1963), in the
//! simple form netem calls `gemodel` with h = 0, k = 1: every packet in the Good state arrives,
//! every packet in the Bad state is lost.
//!
//! ```text
//!            p                     p = P(Good → Bad), r = P(Bad → Good), once per packet
//!    ┌──── ──────► ────┐
//!  Good               Bad          mean stay in Bad = 1/r packets       ⇒ r = 1/B
//!    └──── ◄────── ────┘           share of time in Bad = p/(p + r) = L ⇒ p = L·r/(1 − L)
//!            r
//! ```
//!
//! So `loss=5%,burst=4` gives r = 0.25 and p = 0.05·0.25/0.95 ≈ 0.0132. Because p is a
//! probability, p ≤ 1 bounds the loss: L ≤ B/(B + 1) (at most 50% with `burst=1`).
//!
//! ## The default queue: one bandwidth-delay product
//!
//! Linux gives every interface a 1000-packet queue; on a 1 mbit link that is 12 s of waiting
//! (bufferbloat). netlab's default is one BDP, bottleneck rate × round-trip propagation delay
//! (the BDP of RFC 6349), in MTU-sized packets and at least 10: the classic rule that lets one
//! TCP flow keep the link busy across a halving of its window (Villamizar and Song, "High
//! performance TCP in ANSNET", 1994). Write `queue=` to choose another.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Direction;
use crate::error::{Error, Result};

/// The seed when `seed=` is not given, so two runs of the same command drop the same packets.
pub const DEFAULT_SEED: u64 = 1;
/// Ethernet's MTU, the default.
pub const DEFAULT_MTU: usize = 1500;
/// The smallest MTU accepted: IPv6's minimum link MTU (RFC 8200 §5, "every link in the Internet
/// have an MTU of 1280 octets or greater"). IPv4 alone would allow 576 (RFC 791), but the sandbox
/// carries IPv6, and QUIC needs room for 1200-byte UDP payloads (RFC 9000 §14) anyway.
pub const MIN_MTU: usize = 1280;
/// The largest IP packet (the 16-bit total length of IPv4, payload length of IPv6).
pub const MAX_MTU: usize = 65535;
/// The smallest default queue, in packets (see the module doc).
pub const MIN_DEFAULT_QUEUE: usize = 10;
/// The largest queue accepted, in packets.
pub const MAX_QUEUE: usize = 1_000_000;
/// The longest delay, jitter or reorder gap accepted: longer is surely a typo.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// One direction's impairments. Every field's default is "none".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectionSpec {
    /// One-way propagation delay.
    pub delay: Duration,
    /// Each packet's delay is drawn uniformly from `delay ± jitter`.
    pub jitter: Duration,
    /// Share of packets lost, in percent (0 to 100).
    pub loss_percent: f64,
    /// Mean length of a loss burst in packets; `Some` turns `loss_percent` into a
    /// Gilbert-Elliott chain (module doc).
    pub burst: Option<f64>,
    /// Share of packets held back so that later ones overtake them, in percent.
    pub reorder_percent: f64,
    /// How long a reordered packet is held back; `None` means one `delay`.
    pub reorder_gap: Option<Duration>,
    /// Bottleneck rate in bits per second; `None` means no limit (and no queue).
    pub rate: Option<u64>,
    /// Drop-tail queue in packets; `None` means one BDP (see [`LinkSpec::queue_packets`]).
    pub queue: Option<usize>,
}

impl DirectionSpec {
    /// How long a packet picked for reordering is held back.
    pub fn hold_back(&self) -> Duration {
        self.reorder_gap.unwrap_or(self.delay)
    }
}

/// "Drop the `nth` data-carrying packet that crosses in `direction`", from `drop=down:7`, or
/// "the `nth` packet of the responses", from `drop=response:1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChosenDrop {
    pub direction: Direction,
    /// What `nth` counts.
    pub counting: Counting,
    /// Counted from 1. Every packet offered that the count covers counts, also one the link
    /// drops for another reason (too big, lost).
    pub nth: u64,
}

/// Which packets a [`ChosenDrop`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counting {
    /// Every packet with a non-empty payload since the link (re)started, bare ACKs not counted.
    DataPackets,
    /// The servers' packets of at least [`RESPONSE_PACKET_MIN`] octets offered after the client
    /// said its requests were sent (`Network::requests_sent`): the packets that carry the
    /// responses' bodies, not the handshake, session tickets, SETTINGS or ACKs before them.
    /// Always the down direction.
    ResponsePackets,
}

/// The smallest IP packet `drop=response:N` counts: bigger than any ACK, ticket or SETTINGS
/// frame, smaller than a full packet of body (QUIC's 1200-octet minimum, a 1448-octet TCP
/// segment).
pub const RESPONSE_PACKET_MIN: usize = 1000;

/// A parsed and validated `--link`. It serializes as its canonical text (`Display`), and
/// deserializes through [`LinkSpec::parse`], so a stored spec is always a valid one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LinkSpec {
    /// From the client towards the servers.
    pub up: DirectionSpec,
    /// From the servers back to the client.
    pub down: DirectionSpec,
    /// Largest IP packet in bytes.
    pub mtu: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Packets to drop on purpose, sorted, without repeats.
    pub drops: Vec<ChosenDrop>,
}

impl Default for LinkSpec {
    /// A perfect link: no delay, no loss, no limit, Ethernet's MTU.
    fn default() -> Self {
        LinkSpec {
            up: DirectionSpec::default(),
            down: DirectionSpec::default(),
            mtu: DEFAULT_MTU,
            seed: DEFAULT_SEED,
            drops: Vec::new(),
        }
    }
}

/// The presets: name, and what it models with its numbers and where they come from. The
/// definitions are in [`preset_definition`].
const PRESETS: &[(&str, &str)] = &[
    ("lan", "switched gigabit Ethernet: 1gbit each way, rtt 0.5ms"),
    ("dsl", "WebPageTest's DSL profile: 1.5mbit down, 384kbit up, rtt 50ms"),
    ("cable", "WebPageTest's Cable profile: 5mbit down, 1mbit up, rtt 28ms"),
    ("3g", "WebPageTest's 3G profile: 1.6mbit down, 768kbit up, rtt 300ms"),
    ("4g", "WebPageTest's LTE profile: 12mbit each way, rtt 70ms"),
    (
        "transatlantic",
        "London-New York: 5570km of fibre at 2/3 c is 28ms one way, real routes measure ~80ms rtt; jitter 1ms, no rate limit",
    ),
    (
        "wifi-lossy",
        "a crowded 2.4GHz Wi-Fi (illustrative numbers): 20mbit, rtt 10ms, jitter 2ms, 2% loss in bursts of 3 packets",
    ),
    (
        "satellite",
        "a geostationary hop: 4 x 35786km at c is 477ms rtt, ~600ms with the ground segment; 25mbit down, 3mbit up (consumer GEO plans)",
    ),
];

/// A preset's definition in the key syntax (each one is tested to parse).
fn preset_definition(name: &str) -> Option<&'static str> {
    Some(match name {
        "lan" => "rtt=0.5ms,rate=1gbit",
        "dsl" => "rtt=50ms,down.rate=1.5mbit,up.rate=384kbit",
        "cable" => "rtt=28ms,down.rate=5mbit,up.rate=1mbit",
        "3g" => "rtt=300ms,down.rate=1.6mbit,up.rate=768kbit",
        "4g" => "rtt=70ms,rate=12mbit",
        "transatlantic" => "rtt=80ms,jitter=1ms",
        "wifi-lossy" => "rtt=10ms,jitter=2ms,loss=2%,burst=3,rate=20mbit",
        "satellite" => "rtt=600ms,down.rate=25mbit,up.rate=3mbit",
        _ => return None,
    })
}

/// The keys of `--link`, in the order `Display` writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Rtt,
    Delay,
    Jitter,
    Loss,
    Burst,
    Reorder,
    ReorderGap,
    Rate,
    Queue,
    Mtu,
    Seed,
    Drop,
}

impl Key {
    const ALL: [Key; 12] = [
        Key::Rtt,
        Key::Delay,
        Key::Jitter,
        Key::Loss,
        Key::Burst,
        Key::Reorder,
        Key::ReorderGap,
        Key::Rate,
        Key::Queue,
        Key::Mtu,
        Key::Seed,
        Key::Drop,
    ];

    fn name(self) -> &'static str {
        match self {
            Key::Rtt => "rtt",
            Key::Delay => "delay",
            Key::Jitter => "jitter",
            Key::Loss => "loss",
            Key::Burst => "burst",
            Key::Reorder => "reorder",
            Key::ReorderGap => "reorder_gap",
            Key::Rate => "rate",
            Key::Queue => "queue",
            Key::Mtu => "mtu",
            Key::Seed => "seed",
            Key::Drop => "drop",
        }
    }

    /// A correct token, for hints.
    fn example(self) -> &'static str {
        match self {
            Key::Rtt => "rtt=50ms",
            Key::Delay => "delay=25ms",
            Key::Jitter => "jitter=5ms",
            Key::Loss => "loss=1%",
            Key::Burst => "burst=3",
            Key::Reorder => "reorder=1%",
            Key::ReorderGap => "reorder_gap=10ms",
            Key::Rate => "rate=20mbit",
            Key::Queue => "queue=100",
            Key::Mtu => "mtu=1400",
            Key::Seed => "seed=7",
            Key::Drop => "drop=down:7+down:9",
        }
    }

    /// Does the key take an `up.` or `down.` prefix?
    fn per_direction(self) -> bool {
        !matches!(self, Key::Rtt | Key::Mtu | Key::Seed | Key::Drop)
    }

    fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// What is wrong with a value and what to write instead, before the token is known.
struct Problem {
    why: String,
    hint: String,
}

impl Problem {
    fn new(why: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            why: why.into(),
            hint: hint.into(),
        }
    }
}

/// The one-line usage error for a bad `--link` token.
fn bad(token: &str, why: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::usage(format!("--link {token}"), why.into(), hint)
}

fn known_keys() -> String {
    let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
    format!(
        "known keys: {}; delay, jitter, loss, burst, reorder, reorder_gap, rate and queue take an up. or down. prefix",
        names.join(", ")
    )
}

fn preset_names() -> String {
    let names: Vec<&str> = PRESETS.iter().map(|(name, _)| *name).collect();
    names.join(", ")
}

/// How `drop=` names what an item counts: `up`, `down` or `response`.
fn drop_counter_name(d: &ChosenDrop) -> &'static str {
    match d.counting {
        Counting::DataPackets => direction_name(d.direction),
        Counting::ResponsePackets => "response",
    }
}

fn direction_name(dir: Direction) -> &'static str {
    match dir {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

impl LinkSpec {
    /// Parses a `--link` value (see the module doc for the syntax) and validates it.
    pub fn parse(text: &str) -> Result<LinkSpec> {
        let mut spec = LinkSpec::default();
        let mut tokens = text.split(',').map(str::trim).filter(|t| !t.is_empty()).peekable();
        if tokens.peek().is_none() {
            return Err(Error::usage(
                "--link",
                "the link description is empty",
                format!(
                    "name a preset ({}) or write keys such as rtt=50ms,loss=1%",
                    preset_names()
                ),
            ));
        }
        for (i, token) in tokens.enumerate() {
            match token.split_once('=') {
                Some((key, value)) => spec.apply(token, key.trim(), value.trim())?,
                None => {
                    let name = token.to_ascii_lowercase();
                    match preset_definition(&name) {
                        Some(definition) if i == 0 => spec = LinkSpec::parse(definition)?,
                        Some(_) => {
                            return Err(bad(
                                token,
                                "a preset can only come first, later tokens override it",
                                format!("write {name},... with the keys after it"),
                            ))
                        }
                        None => return Err(unknown_word(token)),
                    }
                }
            }
        }
        spec.drops.sort_unstable();
        spec.drops.dedup();
        spec.validate()?;
        Ok(spec)
    }

    /// The presets as (name, description with its numbers and their source), for `--help`.
    pub fn presets() -> &'static [(&'static str, &'static str)] {
        PRESETS
    }

    /// One direction's settings.
    /// The round trip the link adds: both directions' one-way delays.
    pub fn round_trip(&self) -> Duration {
        self.up.delay.saturating_add(self.down.delay)
    }

    /// The same link with another seed (`seed + offset`): another draw of the same random
    /// conditions, the one repeated runs (`http --runs`) take in turn.
    pub fn reseeded(&self, offset: u64) -> LinkSpec {
        LinkSpec {
            seed: self.seed.wrapping_add(offset),
            ..self.clone()
        }
    }

    /// The same link without losses: no random or burst loss and no `drop=`; delay, jitter,
    /// reordering, rate and queue stay (a full queue still drops).
    pub fn loss_free(&self) -> LinkSpec {
        let mut spec = self.clone();
        for d in [&mut spec.up, &mut spec.down] {
            d.loss_percent = 0.0;
            d.burst = None;
        }
        spec.drops.clear();
        spec
    }

    pub fn direction(&self, dir: Direction) -> &DirectionSpec {
        match dir {
            Direction::Up => &self.up,
            Direction::Down => &self.down,
        }
    }

    fn direction_mut(&mut self, dir: Direction) -> &mut DirectionSpec {
        match dir {
            Direction::Up => &mut self.up,
            Direction::Down => &mut self.down,
        }
    }

    /// The drop-tail queue in front of `dir`'s bottleneck, in packets: `queue=` if given, else
    /// one BDP (rate × the round trip of both delays) in MTU-sized packets, at least
    /// [`MIN_DEFAULT_QUEUE`]. `None` when the direction has no rate limit, hence no queue.
    pub fn queue_packets(&self, dir: Direction) -> Option<usize> {
        let d = self.direction(dir);
        let rate = d.rate?;
        Some(d.queue.unwrap_or_else(|| {
            let rtt = self.up.delay.saturating_add(self.down.delay);
            let bdp_bytes = u128::from(rate).saturating_mul(rtt.as_nanos()) / 8 / 1_000_000_000;
            let packets = bdp_bytes.div_ceil(self.mtu.max(1) as u128);
            usize::try_from(packets)
                .unwrap_or(MAX_QUEUE)
                .clamp(MIN_DEFAULT_QUEUE, MAX_QUEUE)
        }))
    }

    /// Applies one `key=value` token.
    fn apply(&mut self, token: &str, key: &str, value: &str) -> Result<()> {
        let lower = key.to_ascii_lowercase();
        let (dirs, name): (&[Direction], &str) = match lower.split_once('.') {
            Some(("up", name)) => (&[Direction::Up], name),
            Some(("down", name)) => (&[Direction::Down], name),
            Some((prefix, _)) => {
                return Err(bad(
                    token,
                    format!("{prefix}. is not a direction"),
                    "write up. or down. before the key, or no prefix for both directions",
                ))
            }
            None => (&[Direction::Up, Direction::Down], lower.as_str()),
        };
        let Some(k) = Key::from_name(name) else {
            return Err(unknown_key(token, name));
        };
        if dirs.len() == 1 && !k.per_direction() {
            let hint = match k {
                Key::Rtt => "write rtt= for both directions, or up.delay= and down.delay= for one".to_string(),
                _ => format!("write {} without a prefix", k.example()),
            };
            return Err(bad(token, format!("{name} has no direction"), hint));
        }
        if value.is_empty() {
            return Err(bad(
                token,
                format!("{name} has no value"),
                format!("write {}", k.example()),
            ));
        }
        let fail = |p: Problem| bad(token, p.why, p.hint);
        let each = |spec: &mut LinkSpec, set: &dyn Fn(&mut DirectionSpec)| {
            for &dir in dirs {
                set(spec.direction_mut(dir));
            }
        };
        match k {
            Key::Rtt => {
                let rtt = duration(value, k).map_err(fail)?;
                self.up.delay = rtt / 2;
                self.down.delay = rtt - rtt / 2;
            }
            Key::Delay => {
                let v = duration(value, k).map_err(fail)?;
                each(self, &|d| d.delay = v);
            }
            Key::Jitter => {
                let v = duration(value, k).map_err(fail)?;
                each(self, &|d| d.jitter = v);
            }
            Key::Loss => {
                let v = percent(value, k).map_err(fail)?;
                each(self, &|d| d.loss_percent = v);
            }
            Key::Burst => {
                let v = decimal(value).ok_or_else(|| fail(not_a_number(value, k)))?;
                each(self, &|d| d.burst = Some(v));
            }
            Key::Reorder => {
                let v = percent(value, k).map_err(fail)?;
                each(self, &|d| d.reorder_percent = v);
            }
            Key::ReorderGap => {
                let v = duration(value, k).map_err(fail)?;
                each(self, &|d| d.reorder_gap = Some(v));
            }
            Key::Rate => {
                let v = rate(value).map_err(fail)?;
                each(self, &|d| d.rate = Some(v));
            }
            Key::Queue => {
                let v = count(value, k).map_err(fail)?;
                each(self, &|d| d.queue = Some(v));
            }
            Key::Mtu => self.mtu = count(value, k).map_err(fail)?,
            Key::Seed => self.seed = scaled(value, 0).ok_or_else(|| fail(not_a_number(value, k)))?,
            Key::Drop => {
                for item in value.split('+') {
                    self.drops.push(chosen_drop(item.trim()).map_err(fail)?);
                }
            }
        }
        Ok(())
    }

    /// Checks what a single token cannot: ranges and settings that contradict each other.
    /// [`LinkSpec::parse`] calls it; call it yourself on a spec built by hand.
    pub fn validate(&self) -> Result<()> {
        for dir in [Direction::Up, Direction::Down] {
            self.validate_direction(dir)?;
        }
        if !(MIN_MTU..=MAX_MTU).contains(&self.mtu) {
            return Err(bad(
                &format!("mtu={}", self.mtu),
                format!(
                    "an MTU must be {MIN_MTU} to {MAX_MTU} bytes: IPv6 needs {MIN_MTU} (RFC 8200 §5) and the sandbox carries IPv6"
                ),
                format!("write mtu={MIN_MTU} or more"),
            ));
        }
        if let Some(d) = self.drops.iter().find(|d| d.nth == 0) {
            let name = drop_counter_name(d);
            return Err(bad(
                &format!("drop={name}:0"),
                "packets are counted from 1",
                format!("write drop={name}:1 for the first one"),
            ));
        }
        Ok(())
    }

    fn validate_direction(&self, dir: Direction) -> Result<()> {
        let d = self.direction(dir);
        let other = self.direction(match dir {
            Direction::Up => Direction::Down,
            Direction::Down => Direction::Up,
        });
        let side = direction_name(dir);
        // The token as the user would have written it: prefixed only if the directions differ.
        let token = |name: &str, same: bool, value: String| {
            if same {
                format!("{name}={value}")
            } else {
                format!("{side}.{name}={value}")
            }
        };
        for (name, value, same) in [
            ("delay", d.delay, d.delay == other.delay),
            ("jitter", d.jitter, d.jitter == other.jitter),
            (
                "reorder_gap",
                d.reorder_gap.unwrap_or_default(),
                d.reorder_gap == other.reorder_gap,
            ),
        ] {
            if value > MAX_DELAY {
                return Err(bad(
                    &token(name, same, show_duration(value)),
                    format!("{name} is over {}", show_duration(MAX_DELAY)),
                    format!("write at most {name}={}", show_duration(MAX_DELAY)),
                ));
            }
        }
        if d.jitter > d.delay {
            return Err(bad(
                &token("jitter", d.jitter == other.jitter, show_duration(d.jitter)),
                format!(
                    "jitter is more than the {} delay in the {side} direction, so a packet could leave before it arrived",
                    show_duration(d.delay)
                ),
                "lower jitter= to at most delay=, or raise delay=",
            ));
        }
        for (name, value, same) in [
            ("loss", d.loss_percent, d.loss_percent == other.loss_percent),
            ("reorder", d.reorder_percent, d.reorder_percent == other.reorder_percent),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(bad(
                    &token(name, same, format!("{value}%")),
                    format!("{name} is a share of packets, 0% to 100%"),
                    format!("write e.g. {name}=1%"),
                ));
            }
        }
        if let Some(burst) = d.burst {
            let burst_token = token("burst", d.burst == other.burst, burst.to_string());
            if !(burst >= 1.0 && burst.is_finite()) {
                return Err(bad(
                    &burst_token,
                    "a burst is at least one packet long",
                    "write burst=1 or more, or leave burst= out for independent losses",
                ));
            }
            let most = 100.0 * burst / (burst + 1.0);
            if d.loss_percent > most {
                return Err(bad(
                    &burst_token,
                    format!(
                        "with bursts averaging {burst} packet(s), at most {most:.1}% can be lost in the {side} direction (loss ≤ B/(B+1): the chain must also visit its good state), and loss is {}%",
                        d.loss_percent
                    ),
                    "lower loss= or raise burst=",
                ));
            }
        }
        if d.reorder_percent > 0.0 && d.hold_back().is_zero() {
            return Err(bad(
                &token(
                    "reorder",
                    d.reorder_percent == other.reorder_percent,
                    format!("{}%", d.reorder_percent),
                ),
                format!("a reordered packet is held back by one delay, and the delay in the {side} direction is 0"),
                "set delay= or reorder_gap=, e.g. reorder_gap=5ms",
            ));
        }
        if d.rate == Some(0) {
            return Err(bad(
                &token("rate", d.rate == other.rate, "0bit".into()),
                "a rate of 0 carries nothing",
                "write e.g. rate=1mbit, or leave rate= out for no limit",
            ));
        }
        if let Some(queue) = d.queue {
            let queue_token = token("queue", d.queue == other.queue, queue.to_string());
            if !(1..=MAX_QUEUE).contains(&queue) {
                return Err(bad(
                    &queue_token,
                    format!("a queue holds 1 to {MAX_QUEUE} packets"),
                    "write e.g. queue=100",
                ));
            }
            if d.rate.is_none() {
                return Err(bad(
                    &queue_token,
                    format!("a queue fills only behind a rate limit, and the {side} direction has none"),
                    format!(
                        "add a rate, e.g. {}",
                        token("rate", d.rate == other.rate, "10mbit".into())
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A bare word that is not a preset: a misspelt preset, or a key without `=value`.
fn unknown_word(token: &str) -> Error {
    let lower = token.to_ascii_lowercase();
    let name = lower.rsplit('.').next().unwrap_or(&lower);
    match Key::from_name(name) {
        Some(k) => bad(token, format!("{name} needs a value"), format!("write {}", k.example())),
        None => bad(
            token,
            "not a preset, and not a key=value",
            format!("presets: {}; or write keys such as rtt=50ms,loss=1%", preset_names()),
        ),
    }
}

/// A key netlab does not know, with a pointer for the names other tools use.
fn unknown_key(token: &str, name: &str) -> Error {
    let why = format!("{name} is not a key");
    match name {
        "latency" => bad(token, why, "write delay= for one way or rtt= for the round trip"),
        "bandwidth" | "bw" | "speed" | "throughput" => bad(token, why, "write rate=, e.g. rate=20mbit"),
        "limit" | "buffer" | "qlen" | "txqueuelen" => bad(token, why, "write queue= (in packets), e.g. queue=100"),
        "duplicate" | "corrupt" => bad(token, format!("netlab's link does not {name} packets"), known_keys()),
        _ => bad(token, why, known_keys()),
    }
}

/// `12.5` scaled by 10^`exp`, exactly, as an integer: `scaled("1.5", 3) == Some(1500)`. `None`
/// when the text is not digits with at most one dot, when it is finer than 10^-`exp`, or when
/// it does not fit in a u64. Exact, so `0.1ms` is 100000ns and not 99999.99…
fn scaled(num: &str, exp: u32) -> Option<u64> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let frac_len = u32::try_from(frac.len()).ok().filter(|&n| n <= exp)?;
    let mut value: u64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    value.checked_mul(10u64.checked_pow(exp - frac_len)?)
}

/// A plain decimal (`2.5`) as f64; `None` for anything else (signs, exponents, `inf`, `nan`).
fn decimal(text: &str) -> Option<f64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    text.parse().ok()
}

fn not_a_number(value: &str, k: Key) -> Problem {
    Problem::new(format!("{value} is not a number"), format!("write {}", k.example()))
}

/// Splits `25ms` into `("25", "ms")` before the first character that is neither digit nor dot.
fn split_unit(value: &str) -> (&str, &str) {
    let at = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    value.split_at(at)
}

/// `25ms`, `0.5ms`, `250us`, `1s`, `100ns`.
fn duration(value: &str, k: Key) -> Result<Duration, Problem> {
    let lower = value.to_lowercase();
    let (num, unit) = split_unit(&lower);
    let not_a_duration = || {
        Problem::new(
            format!("{value} is not a duration"),
            format!(
                "write a number and a unit, e.g. {} (to the nanosecond at most)",
                k.example()
            ),
        )
    };
    if num.is_empty() {
        return Err(not_a_duration());
    }
    let exp = match unit {
        "s" => 9,
        "ms" => 6,
        "us" | "µs" => 3,
        "ns" => 0,
        "" => {
            return Err(Problem::new(
                format!("{value} has no unit"),
                format!("write {}={num}ms (units: us, ms, s)", k.name()),
            ))
        }
        _ => {
            return Err(Problem::new(
                format!("{unit} is not a unit of time"),
                format!("write us, ms or s, e.g. {}", k.example()),
            ))
        }
    };
    let ns = scaled(num, exp).ok_or_else(not_a_duration)?;
    Ok(Duration::from_nanos(ns))
}

/// `1%`, `0.5%`: a percentage, which must say so (a bare `1` could mean 1% or 100%).
fn percent(value: &str, k: Key) -> Result<f64, Problem> {
    let Some(num) = value.strip_suffix('%') else {
        let hint = match decimal(value) {
            Some(_) => format!("write {}={value}% (a percentage)", k.name()),
            None => format!("write e.g. {}", k.example()),
        };
        return Err(Problem::new(format!("{value} is not a percentage"), hint));
    };
    decimal(num).ok_or_else(|| {
        Problem::new(
            format!("{value} is not a percentage"),
            format!("write e.g. {}", k.example()),
        )
    })
}

/// `20mbit`, `1.5mbit`, `384kbit`, `1gbit`, `9600bit`: bits per second, as tc writes them.
fn rate(value: &str) -> Result<u64, Problem> {
    let lower = value.to_lowercase();
    let (num, unit) = split_unit(&lower);
    let not_a_rate = || {
        Problem::new(
            format!("{value} is not a rate"),
            "write a number and a unit, e.g. rate=20mbit or rate=1.5mbit (whole bits per second)",
        )
    };
    if num.is_empty() {
        return Err(not_a_rate());
    }
    let exp = match unit {
        "bit" => 0,
        "kbit" => 3,
        "mbit" => 6,
        "gbit" => 9,
        "bps" | "kbps" | "mbps" | "gbps" => {
            let prefix = &unit[..unit.len() - 3];
            let (exp, word) = match prefix {
                "k" => (3, "kilo"),
                "m" => (6, "mega"),
                "g" => (9, "giga"),
                _ => (0, ""),
            };
            let hint = match scaled(num, exp).and_then(|bytes| bytes.checked_mul(8)) {
                Some(bits) => format!(
                    "write {num}{prefix}bit for {word}bits per second, or {} if you meant {word}bytes",
                    show_rate(bits)
                ),
                None => format!("write e.g. {}", Key::Rate.example()),
            };
            return Err(Problem::new(
                format!("{unit} is ambiguous: tc reads it as bytes per second, most people as bits"),
                hint,
            ));
        }
        "" => {
            return Err(Problem::new(
                format!("{value} has no unit"),
                format!("write rate={num}mbit (units: bit, kbit, mbit, gbit per second)"),
            ))
        }
        _ => {
            return Err(Problem::new(
                format!("{unit} is not a rate unit"),
                "write bit, kbit, mbit or gbit (per second, as in tc), e.g. rate=20mbit",
            ))
        }
    };
    scaled(num, exp).ok_or_else(not_a_rate)
}

/// A whole number: packets for `queue=`, bytes for `mtu=`.
fn count(value: &str, k: Key) -> Result<usize, Problem> {
    scaled(value, 0).and_then(|n| usize::try_from(n).ok()).ok_or_else(|| {
        Problem::new(
            format!("{value} is not a whole number"),
            format!("write {}", k.example()),
        )
    })
}

/// `down:7` or `response:1`: one item of `drop=`.
fn chosen_drop(item: &str) -> Result<ChosenDrop, Problem> {
    let hint = || format!("write direction:number, e.g. {}, or response:1", Key::Drop.example());
    let Some((dir, nth)) = item.split_once(':') else {
        let why = match item.to_ascii_lowercase().as_str() {
            "up" | "down" | "response" => format!("{item} has no packet number"),
            _ => format!("{item} does not name a direction"),
        };
        return Err(Problem::new(why, hint()));
    };
    let (direction, counting) = match dir.trim().to_ascii_lowercase().as_str() {
        "up" => (Direction::Up, Counting::DataPackets),
        "down" => (Direction::Down, Counting::DataPackets),
        "response" => (Direction::Down, Counting::ResponsePackets),
        _ => return Err(Problem::new(format!("{dir} is not up, down or response"), hint())),
    };
    let nth = scaled(nth.trim(), 0).ok_or_else(|| Problem::new(format!("{nth} is not a packet number"), hint()))?;
    Ok(ChosenDrop {
        direction,
        counting,
        nth,
    })
}

/// A duration in the largest unit that shows it exactly: `25ms`, `250us`, `1s`, `0ms`.
fn show_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        "0ms".into()
    } else if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else if ns % 1_000 == 0 {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

/// A rate in the largest unit that shows it exactly: `20mbit`, `384kbit`, `1500001bit`.
fn show_rate(bits: u64) -> String {
    for (scale, unit) in [(1_000_000_000, "gbit"), (1_000_000, "mbit"), (1_000, "kbit")] {
        if bits % scale == 0 && bits > 0 {
            return format!("{}{unit}", bits / scale);
        }
    }
    format!("{bits}bit")
}

/// Writes `key=value` for both directions, or `up.key=`/`down.key=` when they differ; a side
/// whose value is `None` (the default) is left out.
fn per_direction(out: &mut Vec<String>, name: &str, up: Option<String>, down: Option<String>) {
    if up == down {
        if let Some(v) = up {
            out.push(format!("{name}={v}"));
        }
        return;
    }
    if let Some(v) = up {
        out.push(format!("up.{name}={v}"));
    }
    if let Some(v) = down {
        out.push(format!("down.{name}={v}"));
    }
}

impl fmt::Display for LinkSpec {
    /// The canonical text: every setting that differs from the default, in key order, with
    /// `delay=` always present so the text is never empty. `LinkSpec::parse` reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        let nonzero = |d: Duration| (!d.is_zero()).then(|| show_duration(d));
        let share = |p: f64| (p != 0.0).then(|| format!("{p}%"));
        let mut field = |name: &str, get: &dyn Fn(&DirectionSpec) -> Option<String>| {
            per_direction(&mut out, name, get(&self.up), get(&self.down));
        };
        field("delay", &|d| Some(show_duration(d.delay)));
        field("jitter", &|d| nonzero(d.jitter));
        field("loss", &|d| share(d.loss_percent));
        field("burst", &|d| d.burst.map(|b| b.to_string()));
        field("reorder", &|d| share(d.reorder_percent));
        field("reorder_gap", &|d| d.reorder_gap.map(show_duration));
        field("rate", &|d| d.rate.map(show_rate));
        field("queue", &|d| d.queue.map(|q| q.to_string()));
        if self.mtu != DEFAULT_MTU {
            out.push(format!("mtu={}", self.mtu));
        }
        if self.seed != DEFAULT_SEED {
            out.push(format!("seed={}", self.seed));
        }
        if !self.drops.is_empty() {
            let items: Vec<String> = self
                .drops
                .iter()
                .map(|d| format!("{}:{}", drop_counter_name(d), d.nth))
                .collect();
            out.push(format!("drop={}", items.join("+")));
        }
        f.write_str(&out.join(","))
    }
}

impl From<LinkSpec> for String {
    fn from(spec: LinkSpec) -> String {
        spec.to_string()
    }
}

impl TryFrom<String> for LinkSpec {
    type Error = Error;

    fn try_from(text: String) -> Result<LinkSpec> {
        LinkSpec::parse(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> LinkSpec {
        match LinkSpec::parse(text) {
            Ok(spec) => spec,
            Err(e) => panic!("{text}: {}", e.one_line()),
        }
    }

    fn error(text: &str) -> String {
        match LinkSpec::parse(text) {
            Ok(spec) => panic!("{text} parsed as {spec}"),
            Err(e) => e.one_line(),
        }
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn every_preset_parses_and_prints_back() {
        for (name, about) in LinkSpec::presets() {
            let preset = spec(name);
            assert_eq!(spec(&preset.to_string()), preset, "{name}");
            assert!(!about.is_empty());
        }
        assert_eq!(spec("4G"), spec("4g"));
    }

    #[test]
    fn presets_have_the_numbers_they_describe() {
        let dsl = spec("dsl");
        assert_eq!(dsl.down.rate, Some(1_500_000));
        assert_eq!(dsl.up.rate, Some(384_000));
        assert_eq!(dsl.up.delay, 25 * MS);
        assert_eq!(spec("transatlantic").to_string(), "delay=40ms,jitter=1ms");
        assert_eq!(spec("lan").to_string(), "delay=250us,rate=1gbit");
        let wifi = spec("wifi-lossy");
        assert_eq!((wifi.down.loss_percent, wifi.down.burst), (2.0, Some(3.0)));
        assert_eq!(spec("satellite").up.delay + spec("satellite").down.delay, 600 * MS);
    }

    #[test]
    fn a_preset_then_overrides() {
        let s = spec("4g,loss=5%");
        assert_eq!(s.up.loss_percent, 5.0);
        assert_eq!(s.down.rate, Some(12_000_000));
        assert_eq!(s.to_string(), "delay=35ms,loss=5%,rate=12mbit");
        assert!(error("loss=5%,4g").contains("a preset can only come first"));
    }

    #[test]
    fn rtt_is_split_half_each_way() {
        let s = spec("rtt=50ms");
        assert_eq!((s.up.delay, s.down.delay), (25 * MS, 25 * MS));
        let odd = spec("rtt=1ns");
        assert_eq!(odd.up.delay + odd.down.delay, Duration::from_nanos(1));
        assert_eq!(spec(&odd.to_string()), odd);
        assert!(error("up.rtt=50ms").contains("rtt has no direction"));
    }

    #[test]
    fn prefixes_set_one_direction_and_later_tokens_win() {
        let s = spec("delay=10ms,up.delay=20ms");
        assert_eq!((s.up.delay, s.down.delay), (20 * MS, 10 * MS));
        assert_eq!(s.to_string(), "up.delay=20ms,down.delay=10ms");
        let s = spec("up.delay=20ms,delay=10ms");
        assert_eq!((s.up.delay, s.down.delay), (10 * MS, 10 * MS));
        let s = spec("down.rate=20mbit,up.rate=2mbit");
        assert_eq!((s.up.rate, s.down.rate), (Some(2_000_000), Some(20_000_000)));
        assert_eq!(s.to_string(), "delay=0ms,up.rate=2mbit,down.rate=20mbit");
        assert!(error("left.delay=1ms").contains("left. is not a direction"));
        assert!(error("up.mtu=1400").contains("mtu has no direction"));
    }

    #[test]
    fn durations_take_us_ms_s_and_decimals() {
        assert_eq!(spec("delay=0.5ms").up.delay, Duration::from_micros(500));
        assert_eq!(spec("delay=250us").up.delay, Duration::from_micros(250));
        assert_eq!(spec("delay=250µs").up.delay, Duration::from_micros(250));
        assert_eq!(spec("delay=1.5S").up.delay, 1500 * MS);
        assert_eq!(
            error("delay=50"),
            "netlab: --link delay=50: 50 has no unit (write delay=50ms (units: us, ms, s))"
        );
        assert!(error("delay=5m").contains("m is not a unit of time"));
        assert!(error("delay=-5ms").contains("is not a duration"));
        assert!(error("delay=1.0000000001s").contains("is not a duration"));
        assert!(error("delay=").contains("delay has no value"));
        assert!(error("delay=61s").contains("delay is over 60s"));
    }

    #[test]
    fn rates_follow_tc_units() {
        assert_eq!(spec("rate=20mbit").up.rate, Some(20_000_000));
        assert_eq!(spec("rate=1.5Mbit").up.rate, Some(1_500_000));
        assert_eq!(spec("rate=384kbit").up.rate, Some(384_000));
        assert_eq!(spec("rate=1gbit").up.rate, Some(1_000_000_000));
        assert_eq!(spec("rate=9600bit").up.rate, Some(9_600));
        assert_eq!(
            error("rate=20mbps"),
            "netlab: --link rate=20mbps: mbps is ambiguous: tc reads it as bytes per second, most people as bits \
             (write 20mbit for megabits per second, or 160mbit if you meant megabytes)"
        );
        assert!(error("rate=20").contains("write rate=20mbit"));
        assert!(error("rate=20m").contains("m is not a rate unit"));
        assert!(error("rate=0mbit").contains("a rate of 0 carries nothing"));
        assert!(error("rate=0.5bit").contains("is not a rate"));
        assert!(error("rate=-1mbit").contains("is not a rate"));
    }

    #[test]
    fn losses_are_percentages() {
        assert_eq!(spec("loss=1%").down.loss_percent, 1.0);
        assert_eq!(spec("loss=0.25%").down.loss_percent, 0.25);
        assert!(error("loss=1").contains("write loss=1% (a percentage)"));
        assert!(error("loss=150%").contains("0% to 100%"));
        assert!(error("loss=nan%").contains("not a percentage"));
        assert!(error("loss=1e2%").contains("not a percentage"));
    }

    #[test]
    fn burst_bounds_the_loss_it_can_reach() {
        let s = spec("loss=5%,burst=4");
        assert_eq!(s.up.burst, Some(4.0));
        assert!(spec("loss=50%,burst=1").up.burst.is_some());
        assert!(error("loss=60%,burst=1").contains("at most 50.0% can be lost"));
        assert!(error("loss=100%,burst=1000").contains("lower loss= or raise burst="));
        assert!(error("loss=1%,burst=0.5").contains("at least one packet"));
    }

    #[test]
    fn jitter_may_not_exceed_the_delay() {
        assert_eq!(spec("jitter=5ms,delay=10ms").up.jitter, 5 * MS);
        assert_eq!(
            error("delay=5ms,up.jitter=10ms"),
            "netlab: --link up.jitter=10ms: jitter is more than the 5ms delay in the up direction, so a packet \
             could leave before it arrived (lower jitter= to at most delay=, or raise delay=)"
        );
    }

    #[test]
    fn reorder_needs_something_to_hold_packets_back_by() {
        let s = spec("delay=10ms,reorder=1%");
        assert_eq!(s.up.hold_back(), 10 * MS);
        assert_eq!(spec("reorder=1%,reorder_gap=3ms").down.hold_back(), 3 * MS);
        assert!(error("reorder=1%").contains("set delay= or reorder_gap="));
    }

    #[test]
    fn mtu_is_at_least_ipv6s_minimum() {
        assert_eq!(spec("mtu=1400").mtu, 1400);
        assert_eq!(spec("mtu=1280").mtu, 1280);
        assert!(error("mtu=576").contains("IPv6 needs 1280 (RFC 8200 §5)"));
        assert!(error("mtu=70000").contains("1280 to 65535"));
        assert!(error("mtu=1400b").contains("not a whole number"));
    }

    #[test]
    fn queue_defaults_to_one_bdp_and_needs_a_rate() {
        // 12 mbit/s × 100 ms = 150000 bytes = 100 packets of 1500 bytes.
        let s = spec("rtt=100ms,rate=12mbit");
        assert_eq!(s.queue_packets(Direction::Up), Some(100));
        assert_eq!(
            spec("rate=12mbit").queue_packets(Direction::Down),
            Some(MIN_DEFAULT_QUEUE)
        );
        assert_eq!(spec("rate=1mbit,queue=7").queue_packets(Direction::Up), Some(7));
        assert_eq!(spec("delay=1ms").queue_packets(Direction::Up), None);
        assert!(error("rate=1mbit,queue=0").contains("a queue holds 1 to"));
        assert!(
            error("down.rate=1mbit,up.queue=5").contains("the up direction has none (add a rate, e.g. up.rate=10mbit)")
        );
    }

    #[test]
    fn drop_lists_are_sorted_and_print_back() {
        let s = spec("drop=down:9+down:7+up:3,drop=down:7");
        let want = [(Direction::Up, 3), (Direction::Down, 7), (Direction::Down, 9)];
        let got: Vec<_> = s.drops.iter().map(|d| (d.direction, d.nth)).collect();
        assert_eq!(got, want);
        assert_eq!(s.to_string(), "delay=0ms,drop=up:3+down:7+down:9");
        assert!(error("drop=7").contains("does not name a direction"));
        assert!(error("drop=down").contains("down has no packet number"));
        assert!(error("drop=left:7").contains("left is not up, down or response"));
        let r = spec("drop=response:2+up:1");
        assert_eq!(r.to_string(), "delay=0ms,drop=up:1+response:2");
        assert_eq!(r.drops[1].counting, Counting::ResponsePackets);
        assert!(error("drop=response:0").contains("drop=response:0"));
        assert!(error("drop=down:0").contains("counted from 1"));
        assert!(error("up.drop=7").contains("drop has no direction"));
    }

    #[test]
    fn unknown_words_say_what_is_known() {
        let e = error("latency=50ms");
        assert!(e.contains("write delay= for one way or rtt= for the round trip"), "{e}");
        let e = error("colour=blue");
        assert!(e.contains("known keys: rtt, delay, jitter"), "{e}");
        let e = error("5g");
        assert!(e.contains("presets: lan, dsl"), "{e}");
        assert!(error("loss").contains("loss needs a value (write loss=1%)"));
        assert!(error("").starts_with("netlab: --link: the link description is empty (name a preset (lan,"));
        assert!(error(" , ").contains("the link description is empty"));
    }

    #[test]
    fn text_round_trips() {
        for text in [
            "delay=0ms",
            "delay=25ms,jitter=5ms,loss=1%,burst=2.5,reorder=0.5%,reorder_gap=3ms,rate=20mbit,queue=64",
            "up.delay=1ms,down.delay=2ms,up.loss=0.1%,down.rate=1500001bit,mtu=1280,seed=42,drop=down:3",
            "delay=1s,down.queue=5,rate=1mbit",
        ] {
            let s = spec(text);
            assert_eq!(spec(&s.to_string()), s, "{text} printed as {s}");
        }
        assert_eq!(spec(" seed=42 , loss=1% ,").to_string(), "delay=0ms,loss=1%,seed=42");
    }

    #[test]
    fn serde_uses_the_canonical_text_and_validates() {
        let s = spec("4g,loss=1%");
        let json = serde_json::to_string(&s).expect("a spec serializes");
        assert_eq!(json, "\"delay=35ms,loss=1%,rate=12mbit\"");
        let back: LinkSpec = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back, s);
        assert!(serde_json::from_str::<LinkSpec>("\"loss=200%\"").is_err());
    }

    #[test]
    fn errors_are_one_line() {
        for text in ["rate=5", "delay=5ms,jitter=9ms", "x\ny=1", "loss=60%,burst=1"] {
            assert!(!error(text).contains('\n'), "{text}");
        }
    }

    /// A token the parser accepts, with numbers drawn at random (it may still be rejected as
    /// a whole, e.g. jitter above the delay).
    fn token() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let prefix = prop_oneof![Just(""), Just("up."), Just("down.")];
        let unit = prop_oneof![Just("ns"), Just("us"), Just("ms"), Just("s")];
        let rate_unit = prop_oneof![Just("bit"), Just("kbit"), Just("mbit"), Just("gbit")];
        let dir = prop_oneof![Just("up"), Just("down")];
        let key = prop_oneof![Just("delay"), Just("jitter"), Just("reorder_gap")];
        let share = prop_oneof![Just("loss"), Just("reorder")];
        prop_oneof![
            (prefix.clone(), key, 0u64..2000, unit).prop_map(|(p, k, n, u)| format!("{p}{k}={n}{u}")),
            (0u64..2000).prop_map(|n| format!("rtt={n}ms")),
            (prefix.clone(), share, 0u32..10_000).prop_map(|(p, k, n)| format!("{p}{k}={}%", f64::from(n) / 100.0)),
            (prefix.clone(), 10u32..100).prop_map(|(p, n)| format!("{p}burst={}", f64::from(n) / 10.0)),
            (prefix.clone(), 1u64..10_000, rate_unit).prop_map(|(p, n, u)| format!("{p}rate={n}{u}")),
            (prefix, 1usize..5000).prop_map(|(p, n)| format!("{p}queue={n}")),
            (1280usize..9000).prop_map(|n| format!("mtu={n}")),
            any::<u64>().prop_map(|n| format!("seed={n}")),
            (dir, 0u64..50).prop_map(|(d, n)| format!("drop={d}:{n}")),
        ]
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in proptest::prelude::any::<String>()) {
            let _ = LinkSpec::parse(&text);
        }

        #[test]
        fn link_like_text_never_panics(text in "[a-z0-9.=,%:+µ _-]{0,60}") {
            let _ = LinkSpec::parse(&text);
        }

        #[test]
        fn accepted_specs_print_back_to_themselves(
            preset in proptest::sample::select(vec!["", "lan,", "dsl,", "4g,", "wifi-lossy,", "satellite,"]),
            tokens in proptest::collection::vec(token(), 0..8),
        ) {
            let text = format!("{preset}{}", tokens.join(","));
            if let Ok(spec) = LinkSpec::parse(&text) {
                let printed = spec.to_string();
                let back = LinkSpec::parse(&printed);
                proptest::prop_assert!(back.is_ok(), "{} printed as {} fails: {:?}", text, printed, back);
                proptest::prop_assert_eq!(back.ok(), Some(spec), "{} printed as {}", text, printed);
            }
        }
    }
}
