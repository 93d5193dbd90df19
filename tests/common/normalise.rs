//! Makes a recorded `--json` trace deterministic, so that a fixture recorded twice is the same
//! file: what varies from run to run (clocks, ephemeral ports, random IDs, fresh keys, dates) is
//! replaced by stable stand-ins, and everything else is left as recorded.
//!
//! The rules, in the order a reader meets them in a trace:
//!
//! - `at_us` (when an event was pushed) and `time_us` (a record's, frame's or sample's time in its
//!   connection): 100 µs per event, in event order.
//! - Timeline fields (`start_us`, `end_us`, `sent_us`, `first_byte_us`, `done_us`, `total_us`): their
//!   order is kept and the values become 1 ms steps, per protocol (`h2`, `h3`), so phases still
//!   follow each other and a total is still the largest.
//! - The compare table's `h2_us` and `h3_us`: ranked among themselves, 1 ms steps.
//! - Every other `*_us` field (round trips, connect and handshake times) becomes 500, every
//!   `*_ms` field 5; a frame's `time` (seconds since the first frame) becomes 10 µs per distinct time.
//! - Ports above 1023 (`127.0.0.1:PORT` in any string, `source_port`, `sport`, `dport`, a TCP
//!   layer's `src port` and `dst port`): 40001, 40002, ... in order of first appearance.
//! - DNS message IDs (`id`): 0x1001, 0x1002, ...; DNSSEC key tags (in RRSIG and DS data, and in
//!   "key N" / "key tags N" in messages): 10001, 10002, ...
//! - RRSIG inception and expiration (`YYYYMMDDHHmmSS` in the data, seconds in `validity`):
//!   inception 2026-01-01 00:00:00 UTC, the validity period kept; `validity.seen` that date too.
//!   rustls's "verification time N (UNIX)" becomes that date too, and its "(K seconds ago)" follows.
//! - TCP sequence and acknowledgment numbers, IPv4 IDs: each side's first value becomes a round
//!   number (1000000000, 2000000000, ...) and the offsets from it are kept. TCP timestamps (a
//!   clock): each side's are all 100000000, 200000000.
//! - TLS `age_add` values: 1000000001, 1000000002, ...
//! - Random bytes written out: a run of 16 or more hex digits with a letter, or 20 or more base64
//!   characters with a letter and a digit (keys, signatures, digests, TLS randoms, session IDs,
//!   verify_data), is replaced by filler of the same length and alphabet (hex in its case, or
//!   base64), and the short last word of a DS digest that dig's 56-character split leaves by
//!   `0123...` of its length; HTTP/3 GREASE values (`0x` and 9 or more hex digits) by other valid GREASE values.
//! - A ClientHello's extensions (rustls shuffles their order per connection) are sorted by type.
//!
//! The same input value always gets the same stand-in within a trace, so what matched still
//! matches (a query's ID and its response's, a key tag in a DS record and in a message). Traces of
//! `netlab pcap` are left alone: their input is a fixed file. Normalising is idempotent: a
//! normalised trace is its own normal form, which the snapshot tests check.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

/// 2026-01-01 00:00:00 UTC: the "now" of every normalised date.
pub const FIXED_NOW: u64 = 1_767_225_600;

/// Normalises a trace (the JSON value of `netlab --json ...`) in place.
pub fn normalise(trace: &mut Value) {
    if trace["command"] == "pcap" {
        return;
    }
    sort_client_hello_extensions(trace);
    if let Some(events) = trace.get_mut("events").and_then(Value::as_array_mut) {
        for (i, event) in events.iter_mut().enumerate() {
            // An event's own clock and, for records, frames and samples, the connection's:
            // both become the event's place in the order.
            for clock in ["at_us", "time_us"] {
                if let Some(at) = event.get_mut(clock) {
                    *at = Value::from((i as u64 + 1) * 100);
                }
            }
        }
        timelines(events);
        rank_keys(events, &["h2_us", "h3_us"], 1000);
        frame_times(events);
    }
    let mut t = Tokens::default();
    walk(None, trace, &mut t);
}

const TIMELINE: [&str; 6] = ["start_us", "end_us", "sent_us", "first_byte_us", "done_us", "total_us"];

/// Timeline fields, ranked per protocol (the `protocol` field of the event holding them).
fn timelines(events: &mut [Value]) {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let protocol = e["protocol"].as_str().unwrap_or("").to_string();
        groups.entry(protocol).or_default().push(i);
    }
    for indexes in groups.values() {
        let mut values = BTreeSet::new();
        for &i in indexes {
            collect_keys(&events[i], &TIMELINE, &mut values);
        }
        let rank = ranks(&values, 1000);
        for &i in indexes {
            replace_keys(&mut events[i], &TIMELINE, &rank);
        }
    }
}

/// Ranks the values of `keys` across all events: the n-th smallest becomes n * step (from 0 if the
/// smallest is 0, else from step).
fn rank_keys(events: &mut [Value], keys: &[&str], step: u64) {
    let mut values = BTreeSet::new();
    for e in events.iter() {
        collect_keys(e, keys, &mut values);
    }
    let rank = ranks(&values, step);
    for e in events.iter_mut() {
        replace_keys(e, keys, &rank);
    }
}

fn ranks(values: &BTreeSet<u64>, step: u64) -> HashMap<u64, u64> {
    let first = u64::from(values.first() != Some(&0));
    values
        .iter()
        .enumerate()
        .map(|(n, &v)| (v, (n as u64 + first) * step))
        .collect()
}

fn collect_keys(v: &Value, keys: &[&str], out: &mut BTreeSet<u64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match x.as_u64() {
                    Some(n) if keys.contains(&k.as_str()) => {
                        out.insert(n);
                    }
                    _ => collect_keys(x, keys, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_keys(x, keys, out)),
        _ => {}
    }
}

fn replace_keys(v: &mut Value, keys: &[&str], rank: &HashMap<u64, u64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x.as_u64() {
                    Some(n) if keys.contains(&k.as_str()) => *x = Value::from(rank[&n]),
                    _ => replace_keys(x, keys, rank),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_keys(x, keys, rank)),
        _ => {}
    }
}

/// A captured frame's `time`: 10 µs per distinct time, in order.
fn frame_times(events: &mut [Value]) {
    let times: BTreeSet<u64> = events
        .iter()
        .filter_map(|e| e["time"].as_f64())
        .map(f64::to_bits)
        .collect();
    let mut sorted: Vec<f64> = times.into_iter().map(f64::from_bits).collect();
    sorted.sort_by(f64::total_cmp);
    for e in events.iter_mut() {
        if let Some(t) = e.get("time").and_then(Value::as_f64) {
            let n = sorted.iter().position(|&s| s == t).unwrap_or(0);
            e["time"] = Value::from((n as f64 * 10.0) / 1e6);
        }
    }
}

fn sort_client_hello_extensions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("kind").and_then(Value::as_str) == Some("ClientHello") {
                if let Some(Value::Array(exts)) = m.get_mut("extensions") {
                    exts.sort_by_key(|e| e["ext_type"]["value"].as_u64().unwrap_or(u64::MAX));
                }
            }
            m.values_mut().for_each(sort_client_hello_extensions);
        }
        Value::Array(a) => a.iter_mut().for_each(sort_client_hello_extensions),
        _ => {}
    }
}

/// Values seen once and their stand-ins, so the same value gets the same stand-in everywhere.
#[derive(Default)]
struct Tokens {
    ports: Seq,
    dns_ids: Seq,
    key_tags: Seq,
    age_adds: Seq,
    blobs: HashMap<String, String>,
    grease: HashMap<String, String>,
    tcp_seq: Sides,
    tcp_ts: Sides,
    ip_id: Sides,
}

/// Numbers handed out in order of first appearance.
#[derive(Default)]
struct Seq(HashMap<u64, u64>);

impl Seq {
    fn get(&mut self, v: u64, first: u64) -> u64 {
        let n = self.0.len() as u64;
        *self.0.entry(v).or_insert(first + n)
    }
}

/// Counters that start at a random value per side (sequence numbers, timestamps): the first value
/// of the k-th side becomes base * k, and later values keep their distance from it (or, for a
/// clock, become the first one too).
#[derive(Default)]
struct Sides(Vec<u64>);

impl Sides {
    fn get(&mut self, v: u64, base: u64, window: u64, modulus: u64, keep_offset: bool) -> u64 {
        if v == 0 {
            return 0;
        }
        for (k, &origin) in self.0.iter().enumerate() {
            let d = (v + modulus - origin) % modulus;
            if d < window {
                return (base * (k as u64 + 1) + if keep_offset { d } else { 0 }) % modulus;
            }
        }
        self.0.push(v);
        base * self.0.len() as u64 % modulus
    }
}

impl Tokens {
    fn port(&mut self, p: u64) -> u64 {
        if p < 1024 {
            p
        } else {
            self.ports.get(p, 40_001)
        }
    }
    fn key_tag(&mut self, t: u64) -> u64 {
        self.key_tags.get(t, 10_001)
    }
    fn seq(&mut self, v: u64) -> u64 {
        self.tcp_seq.get(v, 1_000_000_000, 1 << 24, 1 << 32, true)
    }
    fn ts(&mut self, v: u64) -> u64 {
        // A clock (ms): every value of a side is its first one.
        self.tcp_ts.get(v, 100_000_000, 10_000_000, 1 << 32, false)
    }
    fn ip_id(&mut self, v: u64) -> u64 {
        self.ip_id.get(v, 0x1000, 0x800, 0x10000, true)
    }
}

fn walk(key: Option<&str>, v: &mut Value, t: &mut Tokens) {
    match v {
        Value::Object(m) => {
            rrsig_and_ds(m, t);
            for (k, x) in m.iter_mut() {
                walk(Some(k), x, t);
            }
        }
        Value::Array(a) => {
            // A layer's field: ["name", "value"].
            if let [Value::String(name), Value::String(value)] = a.as_mut_slice() {
                if let Some(new) = layer_field(name, value, t) {
                    *value = new;
                    return;
                }
            }
            a.iter_mut().for_each(|x| walk(None, x, t));
        }
        Value::Number(n) => {
            let (Some(k), Some(u)) = (key, n.as_u64()) else {
                return;
            };
            let new = match k {
                "at_us" | "time_us" | "h2_us" | "h3_us" => return,
                k if TIMELINE.contains(&k) => return,
                "source_port" | "sport" | "dport" => t.port(u),
                "id" => t.dns_ids.get(u, 0x1001),
                "seq" | "ack" => t.seq(u),
                k if k.ends_with("_us") => 500,
                k if k.ends_with("_ms") => 5,
                _ => return,
            };
            *v = Value::from(new);
        }
        Value::String(s) => *s = string(s, t),
        _ => {}
    }
}

/// A TCP or IPv4 layer field whose value varies per connection.
fn layer_field(name: &str, value: &str, t: &mut Tokens) -> Option<String> {
    match name {
        "src port" | "dst port" => Some(t.port(value.parse().ok()?).to_string()),
        "seq" | "ack" => Some(t.seq(value.parse().ok()?).to_string()),
        "id" => {
            let hex = value.strip_prefix("0x")?;
            Some(format!("0x{:04x}", t.ip_id(u64::from_str_radix(hex, 16).ok()?)))
        }
        _ => None,
    }
}

/// DNSSEC records: an RRSIG's dates and key tag, a DS record's key tag (its digest and the
/// signature are random bytes, which `string` handles).
fn rrsig_and_ds(m: &mut Map<String, Value>, t: &mut Tokens) {
    let rtype = m.get("rtype").and_then(Value::as_str).unwrap_or("").to_string();
    let Some(Value::String(data)) = m.get_mut("data") else {
        return;
    };
    let mut fields: Vec<String> = data.split(' ').map(str::to_string).collect();
    match rtype.as_str() {
        "RRSIG" if fields.len() >= 9 => {
            let (Some(expiration), Some(inception), Ok(tag)) =
                (epoch_of(&fields[4]), epoch_of(&fields[5]), fields[6].parse::<u64>())
            else {
                return;
            };
            fields[4] = date_of(FIXED_NOW + expiration.saturating_sub(inception));
            fields[5] = date_of(FIXED_NOW);
            fields[6] = t.key_tag(tag).to_string();
            if let Some(Value::Object(v)) = m.get_mut("validity") {
                v.insert("inception".into(), FIXED_NOW.into());
                v.insert(
                    "expiration".into(),
                    (FIXED_NOW + expiration.saturating_sub(inception)).into(),
                );
                v.insert("seen".into(), FIXED_NOW.into());
            }
            let Some(Value::String(data)) = m.get_mut("data") else {
                return;
            };
            *data = fields.join(" ");
            return;
        }
        "DS" if fields.len() >= 4 => {
            let Ok(tag) = fields[0].parse::<u64>() else {
                return;
            };
            fields[0] = t.key_tag(tag).to_string();
            // The digest is cut into 56-character words, as dig prints it: a short last word
            // is too short for `string` to see as random bytes, so it gets its filler here.
            for word in fields.iter_mut().skip(4) {
                if word.len() < 16 && word.bytes().all(|b| b.is_ascii_hexdigit()) {
                    *word = "0123456789ABCDEF"[..word.len()].to_string();
                }
            }
        }
        _ => return,
    }
    *data = fields.join(" ");
}

/// An RRSIG time as presented (`YYYYMMDDHHmmSS`, RFC 4034 §3.2), in seconds since the epoch.
fn epoch_of(date: &str) -> Option<u64> {
    if date.len() != 14 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| date[r].parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let days = netlab::calendar::days_from_civil(y, mo, d);
    u64::try_from(days * 86_400 + n(8..10)? * 3600 + n(10..12)? * 60 + n(12..14)?).ok()
}

/// Seconds since the epoch as an RRSIG time, `YYYYMMDDHHmmSS` in UTC, as netlab prints it.
fn date_of(epoch: u64) -> String {
    netlab::dns::present::timestamp(u32::try_from(epoch).unwrap_or(u32::MAX))
}

fn is_b64(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '+' || c == '/'
}

/// Every varying token in a string, replaced; the rest kept.
fn string(s: &str, t: &mut Tokens) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        // Words that introduce a number that varies.
        if let Some((consumed, text)) = prefixed(rest, t) {
            out.push_str(&text);
            rest = &rest[consumed..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        if is_b64(c) {
            let run = rest.find(|c: char| !is_b64(c)).unwrap_or(rest.len());
            let pad = rest[run..].len() - rest[run..].trim_start_matches('=').len();
            let (token, padding) = (&rest[..run], &rest[run..run + pad]);
            let preceded_by_word = out.chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_');
            let grease = token
                .strip_prefix("0x")
                .is_some_and(|h| h.len() >= 9 && h.chars().all(|c| c.is_ascii_hexdigit()));
            if grease {
                let n = t.grease.len() as u64;
                let grease = t
                    .grease
                    .entry(token.to_string())
                    .or_insert_with(|| format!("0x{:x}", 0x1f * ((1 << 52) + n) + 0x21));
                out.push_str(grease);
            } else if !preceded_by_word && is_random(token) {
                let n = t.blobs.len() as u64;
                let filler = t.blobs.entry(token.to_string()).or_insert_with(|| filler(token, n));
                out.push_str(filler);
            } else {
                out.push_str(token);
            }
            out.push_str(padding);
            rest = &rest[run + pad..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Random bytes written out: long hex with a letter, or long base64 with a letter and a digit.
fn is_random(token: &str) -> bool {
    let letter = token.chars().any(|c| c.is_ascii_alphabetic());
    let digit = token.chars().any(|c| c.is_ascii_digit());
    let hex = token.chars().all(|c| c.is_ascii_hexdigit());
    (hex && letter && token.len() >= 16) || (letter && digit && token.len() >= 20)
}

/// Filler for the n-th random token: the same length and alphabet (lowercase hex, uppercase hex,
/// or base64), the same for every recording, and still recognised as random.
fn filler(token: &str, n: u64) -> String {
    let hex = token.chars().all(|c| c.is_ascii_hexdigit());
    let upper = token.chars().any(|c| c.is_ascii_uppercase());
    let alphabet: &[u8] = match (hex, upper) {
        (true, false) => b"0123456789abcdef",
        (true, true) => b"0123456789ABCDEF",
        (false, _) => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    };
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ (n + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (0..token.len())
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match (i, hex) {
                // A letter (and for base64 a digit) where is_random looks for one.
                (0, true) => alphabet[10 + (state >> 40) as usize % 6] as char,
                (0, false) => alphabet[(state >> 40) as usize % 52] as char,
                (1, false) => alphabet[52 + (state >> 40) as usize % 10] as char,
                _ => alphabet[(state >> 40) as usize % alphabet.len()] as char,
            }
        })
        .collect()
}

/// At the start of `s`: a token that varies, recognised by the words before it. Returns how many
/// bytes it took and what replaces them.
fn prefixed(s: &str, t: &mut Tokens) -> Option<(usize, String)> {
    fn number(s: &str) -> Option<(usize, u64)> {
        let len = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        Some((len, s[..len].parse().ok()?))
    }
    for prefix in [
        "127.0.0.1:",
        "age_add ",
        "key tags ",
        "key ",
        "ts ",
        "ecr ",
        "verification time ",
    ] {
        let Some(after) = s.strip_prefix(prefix) else {
            continue;
        };
        if prefix == "key tags " {
            // A list: "key tags 123, 456".
            let mut len = prefix.len();
            let mut text = prefix.to_string();
            let mut rest = after;
            loop {
                let (n, tag) = number(rest)?;
                text.push_str(&t.key_tag(tag).to_string());
                len += n;
                rest = &rest[n..];
                match rest
                    .strip_prefix(", ")
                    .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                {
                    Some(r) => {
                        text.push_str(", ");
                        len += 2;
                        rest = r;
                    }
                    None => return Some((len, text)),
                }
            }
        }
        let Some((n, value)) = number(after) else {
            continue;
        };
        let new = match prefix {
            "127.0.0.1:" => t.port(value),
            "age_add " => t.age_adds.get(value, 1_000_000_001),
            "key " => t.key_tag(value),
            "ts " | "ecr " => t.ts(value),
            _ => return Some(verification_time(s, prefix.len() + n)),
        };
        return Some((prefix.len() + n, format!("{prefix}{new}")));
    }
    None
}

/// rustls: "verification time N (UNIX), but certificate is not valid after M (K seconds ago)" (or
/// "before M (K seconds from now)"): N becomes FIXED_NOW and K follows from it.
fn verification_time(s: &str, len: usize) -> (usize, String) {
    let mut text = format!("verification time {FIXED_NOW}");
    let rest = &s[len..];
    for word in [
        " (UNIX), but certificate is not valid after ",
        " (UNIX), but certificate is not valid before ",
    ] {
        let Some(after) = rest.strip_prefix(word) else {
            continue;
        };
        let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
        let Ok(bound) = after[..digits].parse::<u64>() else {
            break;
        };
        let Some(tail) = after[digits..].strip_prefix(" (") else {
            break;
        };
        let k_len = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
        if tail[..k_len].parse::<u64>().is_err() {
            break;
        }
        text.push_str(&format!("{word}{bound} ({}", FIXED_NOW.abs_diff(bound)));
        return (len + word.len() + digits + 2 + k_len, text);
    }
    (len, text)
}
