//! `http --compare --runs K`: head-of-line blocking measured, not told. The comparison is
//! repeated K times behind the link, each run with the next seed, HTTP/2 and HTTP/3 of one run
//! meeting the same draw of losses (the link's model loses the n-th packet by seed and n
//! alone). One run without losses gives each request's completion time on a clean path. Then,
//! for either protocol:
//!
//! - the distribution of request-to-last-byte times over every stream of every run (p50, p90,
//!   p99 by the nearest-rank method: the smallest time at least p% of the streams reached);
//! - the drops during the exchanges (packets the link dropped after the requests went out);
//! - the streams a loss delayed: in the runs that had drops, those that finished at least half
//!   a round trip after the same request did on the loss-free run. Repairing a loss takes at
//!   least one round trip (the receiver's ACKs must tell the sender, RFC 5681 §3.2, RFC 9002
//!   §6.1), so a stream that waited for a retransmission is that much late; one that did not
//!   is not. (A stream can also be late without a loss, when its response did not fit in the
//!   congestion window and waited a round trip for ACKs: runs without drops are left out.)
//!
//! TCP hands HTTP/2 one byte stream in order, so a hole holds back every stream whose bytes
//! follow it (RFC 9113 §5 runs all streams over one TCP connection); QUIC orders each stream on
//! its own (RFC 9000 §2.2), so a hole holds back only the streams whose frames the lost packet
//! carried. The per-drop count shows which of the two the trace saw.

use std::time::Duration;

use super::client::FetchOptions;
use super::events::{completions_in_stream_order, HttpEvent, ProtocolRuns, ResponseSeen, RunSample, RunsSummary};
use crate::net::{Conditions, Network};
use crate::trace::Note;

/// The most runs `--runs` takes: each is two fetches behind the link.
pub const MAX_RUNS: u32 = 100;

/// One protocol's results of one run: each request's time from sending to its last byte (in
/// sending order; `None` if it failed) and the packets the link dropped during the exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub completions_us: Vec<Option<u64>>,
    pub drops: u64,
}

impl Sample {
    /// The sample of one fetch: its responses (on the last connection: the resumed one with
    /// `--resume`) in stream order, which is sending order.
    pub fn of(responses: &[ResponseSeen], requests: u32, drops: u64) -> Sample {
        let mut completions_us: Vec<Option<u64>> = completions_in_stream_order(responses)
            .into_iter()
            .map(|(_, us)| Some(us))
            .collect();
        completions_us.resize(requests as usize, None);
        Sample { completions_us, drops }
    }
}

/// Runs 2..=`runs` of the comparison (run 1 is the command's own, `first`) and the loss-free
/// one, and summarizes them. `net` must run over a link.
pub async fn repeat(o: &FetchOptions, net: &Network, runs: u32, first: [Sample; 2]) -> Option<RunsSummary> {
    let link = net.link()?;
    let (round_trip, seed) = (link.round_trip(), link.seed());
    let [first_h2, first_h3] = first;
    let clean_h2 = one("h2", o, net, Conditions::LossFree).await;
    let clean_h3 = one("h3", o, net, Conditions::LossFree).await;
    let (mut h2, mut h3) = (vec![first_h2], vec![first_h3]);
    for k in 1..u64::from(runs.min(MAX_RUNS)) {
        h2.push(one("h2", o, net, Conditions::Reseeded(k)).await);
        h3.push(one("h3", o, net, Conditions::Reseeded(k)).await);
    }
    let threshold = late_by(round_trip);
    Some(RunsSummary {
        runs: h2.len() as u32,
        requests: o.requests,
        first_seed: seed,
        round_trip_us: round_trip.as_micros() as u64,
        late_by_us: threshold.as_micros() as u64,
        h2: summarize("h2", &clean_h2, &h2, threshold),
        h3: summarize("h3", &clean_h3, &h3, threshold),
    })
}

/// One fetch over `protocol` under `conditions`, reduced to its sample.
async fn one(protocol: &str, o: &FetchOptions, net: &Network, conditions: Conditions) -> Sample {
    net.restart_link_with(conditions);
    let fetched = super::fetch::fetch_over(protocol, o, net).await;
    let responses: Vec<ResponseSeen> = fetched
        .events
        .into_iter()
        .filter_map(|e| match e {
            HttpEvent::Response(r) => Some(r),
            _ => None,
        })
        .collect();
    // With --resume the last connection's responses are the ones compared.
    let last = &responses[responses.len().saturating_sub(o.requests as usize)..];
    Sample::of(last, o.requests, net.link().map_or(0, |l| l.exchange_drops()))
}

/// How late a stream must finish to count as delayed by a loss: half a round trip (at least
/// 1 ms, so that a link without delay does not count scheduling noise).
pub fn late_by(round_trip: Duration) -> Duration {
    (round_trip / 2).max(Duration::from_millis(1))
}

/// One protocol's runs, summarized against its loss-free run.
pub fn summarize(protocol: &str, clean: &Sample, runs: &[Sample], late_by: Duration) -> ProtocolRuns {
    let late_by = late_by.as_micros() as u64;
    let samples: Vec<RunSample> = runs
        .iter()
        .map(|run| {
            let delayed = run
                .completions_us
                .iter()
                .zip(&clean.completions_us)
                .filter(|(got, clean)| matches!((got, clean), (Some(g), Some(c)) if *g >= c + late_by))
                .count();
            RunSample {
                completions_us: run.completions_us.clone(),
                drops: run.drops,
                delayed: delayed as u32,
            }
        })
        .collect();
    let mut all: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.completions_us.iter().flatten().copied())
        .collect();
    all.sort_unstable();
    let drops: u64 = samples.iter().map(|s| s.drops).sum();
    // Runs without a drop still have late streams now and then (a response that did not fit
    // in the congestion window waits a round trip for ACKs): they are left out of the count,
    // which is of the streams the drops delayed.
    let delayed: u64 = samples
        .iter()
        .filter(|s| s.drops > 0)
        .map(|s| u64::from(s.delayed))
        .sum();
    ProtocolRuns {
        protocol: protocol.to_string(),
        loss_free_us: clean.completions_us.clone(),
        p50_us: percentile(&all, 50),
        p90_us: percentile(&all, 90),
        p99_us: percentile(&all, 99),
        failed: runs
            .iter()
            .map(|r| r.completions_us.iter().filter(|c| c.is_none()).count() as u64)
            .sum(),
        drops,
        delayed,
        delayed_per_drop: (drops > 0).then(|| delayed as f64 / drops as f64),
        runs: samples,
    }
}

/// The nearest-rank percentile of sorted values: the smallest value that at least `p`% of
/// them do not exceed.
pub fn percentile(sorted: &[u64], p: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    sorted.get(rank - 1).copied()
}

/// The note on what the runs show: which protocol's streams a loss delayed, in this trace's
/// numbers.
pub fn note(r: &RunsSummary) -> Note {
    let (Some(h2), Some(h3)) = (r.h2.delayed_per_drop, r.h3.delayed_per_drop) else {
        return Note::new(
            "http.runs.no_loss",
            "No packet was lost during the exchanges of one of the protocols, so these runs show no head-of-line blocking: raise loss= or the number of runs.",
            Some("RFC 9000 §2.2"),
        );
    };
    if h2 > h3 {
        Note::new(
            "http.runs.hol",
            format!(
                "Each packet lost during the exchange delayed {h2:.1} HTTP/2 streams but {h3:.1} HTTP/3 streams on average: TCP delivers HTTP/2's one byte stream in order, so a hole holds back every stream whose bytes follow it, while QUIC orders each stream on its own and a hole holds back only the streams whose frames the lost packet carried (head-of-line blocking)."
            ),
            Some("RFC 9113 §5, RFC 9000 §2.2"),
        )
    } else {
        Note::new(
            "http.runs.no_hol_advantage",
            format!(
                "Here a lost packet delayed as many HTTP/3 streams ({h3:.1} per drop) as HTTP/2 streams ({h2:.1}): after a loss either sender also cuts its congestion window for the whole connection, which delays every stream with bytes still to send. QUIC's independent streams show best when the responses fit in one flight (e.g. 8 requests of /bytes/1000)."
            ),
            Some("RFC 9002 §7.3.2, RFC 5681 §3.2"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(us: &[Option<u64>], drops: u64) -> Sample {
        Sample {
            completions_us: us.to_vec(),
            drops,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(
            (percentile(&v, 50), percentile(&v, 90), percentile(&v, 99)),
            (Some(50), Some(90), Some(99))
        );
        // Eight values: p50 is the 4th, p90 and p99 the 8th.
        let v = [10, 20, 30, 40, 50, 60, 70, 80];
        assert_eq!(
            (percentile(&v, 50), percentile(&v, 90), percentile(&v, 99)),
            (Some(40), Some(80), Some(80))
        );
        assert_eq!(percentile(&[7], 1), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn a_stream_is_delayed_when_half_a_round_trip_late() {
        let clean = sample(&[Some(40_000), Some(41_000), Some(42_000)], 0);
        // Run 1: one drop, all three late by a round trip (HTTP/2's picture). Run 2: one drop,
        // one stream late (HTTP/3's); another only 19 ms late, under the 20 ms bar; a failure.
        // Run 3: no drop, one stream late all the same (left out of the count).
        let runs = [
            sample(&[Some(80_000), Some(81_000), Some(82_000)], 1),
            sample(&[Some(80_000), Some(60_999), None], 1),
            sample(&[Some(40_000), Some(41_000), Some(82_000)], 0),
        ];
        let s = summarize("h2", &clean, &runs, late_by(Duration::from_millis(40)));
        assert_eq!(s.runs.iter().map(|r| r.delayed).collect::<Vec<_>>(), [3, 1, 1]);
        assert_eq!((s.drops, s.delayed, s.failed), (2, 4, 1));
        assert_eq!(s.delayed_per_drop, Some(2.0));
        assert_eq!((s.p50_us, s.p99_us), (Some(80_000), Some(82_000)));
        let none = summarize("h3", &clean, std::slice::from_ref(&clean), late_by(Duration::ZERO));
        assert_eq!((none.delayed, none.delayed_per_drop), (0, None));
    }

    #[test]
    fn samples_follow_sending_order_and_count_missing_requests() {
        let seen = |stream, sent_us, done_us| ResponseSeen {
            protocol: "h3".into(),
            stream,
            status: 200,
            headers: Vec::new(),
            body_bytes: 0,
            sent_us,
            first_byte_us: sent_us,
            done_us,
            ..Default::default()
        };
        let s = Sample::of(&[seen(4, 10, 60), seen(0, 10, 30)], 3, 2);
        assert_eq!(s.completions_us, [Some(20), Some(50), None]);
        assert_eq!(s.drops, 2);
    }
}
