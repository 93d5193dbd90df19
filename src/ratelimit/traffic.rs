//! Requests to replay: `(time, key)` pairs in time order, generated (bursty clients) or read
//! from an access log in the Common or Combined Log Format (the client address is the key,
//! the `[10/Oct/2000:13:55:36 -0700]` field the time).

use std::hash::{Hash, Hasher};

use rand::{RngExt, SeedableRng};

use crate::calendar::{days_from_civil, month_number};

/// One request: when (ns from the first), and whose (a hashed client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub at_ns: u64,
    pub key: u64,
}

/// Most requests a replay holds (a generator's or a log's): 64 Mi requests, 1 GiB.
pub const MAX_REQUESTS: usize = 64 << 20;

/// A traffic mix: `clients` clients over `seconds`, each sending at its own mean rate (most
/// below the limit, some far above), in bursts: a client is on (Poisson arrivals at 5× its
/// mean) or off, so that windows see the uneven load real clients make.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    pub clients: u32,
    pub seconds: u32,
    /// Mean requests per second per client, over all clients.
    pub mean_rate: f64,
    pub seed: u64,
}

/// The requests of `mix`, in time order (at most [`MAX_REQUESTS`]).
pub fn generate(mix: Mix) -> Vec<Request> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(mix.seed);
    let span_ns = u64::from(mix.seconds) * 1_000_000_000;
    let mut out = Vec::new();
    for client in 0..mix.clients {
        // Heavy-tailed: rate ∝ u^-1.5 for u uniform in [0.05, 1), mostly below the mean, a few
        // far above it; divided by E[u^-1.5] = (2/√0.05 − 2)/0.95 so that the clients' mean is
        // `mean_rate` (on half the time, at twice the rate).
        let tail_mean = (2.0 / 0.05f64.sqrt() - 2.0) / 0.95;
        let u: f64 = rng.random_range(0.05..1.0);
        let rate = mix.mean_rate * u.powf(-1.5) / tail_mean;
        let key = mix_key(u64::from(client) ^ mix.seed.rotate_left(17));
        let mut t = 0f64;
        let mut on = rng.random_bool(0.5);
        let mut phase_end = rng.random_range(0.2..2.0) * 1e9;
        while (t as u64) < span_ns && out.len() < MAX_REQUESTS {
            if t >= phase_end {
                on = !on;
                phase_end = t + rng.random_range(0.2..2.0) * 1e9;
            }
            if !on {
                t = phase_end;
                continue;
            }
            let burst_rate = (rate * 2.0).max(1e-9);
            let gap: f64 = -rng.random_range(f64::MIN_POSITIVE..1.0).ln() / burst_rate * 1e9;
            t += gap;
            if (t as u64) < span_ns && t < phase_end {
                out.push(Request { at_ns: t as u64, key });
            }
        }
    }
    out.sort_by_key(|r| r.at_ns);
    out
}

/// A client name as a key.
pub fn key_of(client: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    client.hash(&mut h);
    h.finish()
}

fn mix_key(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Why an access log line does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {why}")]
pub struct LogError {
    pub line: usize,
    pub why: &'static str,
}

/// Reads a Common/Combined Log Format log: each line's first field is the client, its
/// `[day/Mon/year:hh:mm:ss zone]` the time (second resolution, as logged). Lines out of time
/// order are sorted; blank lines are skipped; a line without those fields is an error naming it.
pub fn read_log(text: &str) -> Result<Vec<Request>, LogError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() >= MAX_REQUESTS {
            break;
        }
        let at = |why| LogError { line: n + 1, why };
        let client = line.split_whitespace().next().ok_or(at("no client field"))?;
        let open = line.find('[').ok_or(at("no [time] field"))?;
        let close = line[open..].find(']').ok_or(at("the [time] field is not closed"))? + open;
        let seconds = clf_time(&line[open + 1..close]).ok_or(at("the time is not day/Mon/year:hh:mm:ss zone"))?;
        out.push((seconds, key_of(client)));
    }
    let first = out.iter().map(|(s, _)| *s).min().unwrap_or(0);
    let mut requests: Vec<Request> = out
        .into_iter()
        .map(|(s, key)| Request {
            at_ns: ((s - first) as u64).saturating_mul(1_000_000_000),
            key,
        })
        .collect();
    requests.sort_by_key(|r| r.at_ns);
    Ok(requests)
}

/// `10/Oct/2000:13:55:36 -0700` as seconds since the epoch (UTC).
fn clf_time(s: &str) -> Option<i64> {
    let (stamp, zone) = s.split_once(' ')?;
    let mut parts = stamp.splitn(4, ':');
    let date = parts.next()?;
    let (h, m, sec): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    let mut d = date.split('/');
    let day: i64 = d.next()?.parse().ok()?;
    let month = month_number(d.next()?)?;
    let year: i64 = d.next()?.parse().ok()?;
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 || !(1970..=9999).contains(&year) {
        return None;
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: i64 = zone.get(1..5)?.parse().ok()?;
    let offset = sign * ((digits / 100) * 3600 + (digits % 100) * 60);
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_repeatable_ordered_and_bursty() {
        let mix = Mix {
            clients: 50,
            seconds: 10,
            mean_rate: 5.0,
            seed: 1,
        };
        let a = generate(mix);
        assert_eq!(a, generate(mix), "same seed, same traffic");
        assert!(a.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
        assert!(a.iter().all(|r| r.at_ns < 10_000_000_000));
        let keys: std::collections::HashSet<u64> = a.iter().map(|r| r.key).collect();
        assert!(keys.len() > 40, "most clients speak: {}", keys.len());
        // 300 clients x 30 s at 3 req/s: about 27,000 requests (the tail makes it vary by seed).
        let many = generate(Mix {
            clients: 300,
            seconds: 30,
            mean_rate: 3.0,
            seed: 2,
        });
        let mean = many.len() as f64 / 9000.0;
        assert!((2.0..4.0).contains(&mean), "mean rate per client {mean}");
        assert_ne!(a, generate(Mix { seed: 2, ..mix }));
    }

    #[test]
    fn access_logs_read_in_common_and_combined_format() {
        let log = "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n\
                   \n\
                   10.0.0.2 - frank [10/Oct/2000:13:55:38 -0700] \"GET /a HTTP/1.0\" 200 1 \"-\" \"curl\"\n\
                   10.0.0.1 - - [10/Oct/2000:20:55:37 +0000] \"GET / HTTP/1.0\" 200 2326\n";
        let r = read_log(log).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r.iter().map(|x| x.at_ns / 1_000_000_000).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(r[0].key, r[1].key, "the same client, sorted by time");
        assert_eq!(
            read_log("10.0.0.1 - - [10/Oct/2000:25:55:36 -0700] x")
                .unwrap_err()
                .to_string(),
            "line 1: the time is not day/Mon/year:hh:mm:ss zone"
        );
        assert!(read_log("just words").is_err());
    }

    #[test]
    fn clf_times_are_utc_seconds() {
        assert_eq!(clf_time("01/Jan/1970:00:00:00 +0000"), Some(0));
        assert_eq!(clf_time("01/Jan/1970:01:00:00 +0100"), Some(0));
    }
}
