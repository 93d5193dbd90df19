//! Text view of an HTTP trace: the HTTP/2 frame ladder with HPACK details, each response, QUIC's
//! statistics, a timing bar per phase (like httpstat), and with `--compare` a side-by-side table.

use std::fmt::Write as _;

use super::edge_story::EdgeSummary;
use super::events::{
    Comparison, HttpEvent, HttpSummary, ProtocolRuns, QuicStats, ResponseSeen, RunsSummary, SetupSeen,
};
use super::frames::FrameSeen;
use super::hpack::Source;
use crate::style::{self, RenderOpts};
use crate::tls::tap::Direction;
use crate::trace::Note;

/// Width of the longest timing bar.
const BAR: usize = 40;

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1000.0)
}

/// Appends one HTTP event and its notes.
pub fn event(out: &mut String, e: &HttpEvent, notes: &[Note], opts: &RenderOpts) {
    match e {
        HttpEvent::Setup(s) => setup(out, s, opts),
        HttpEvent::Frame(f) => frame(out, f, opts),
        HttpEvent::Response(r) => response(out, r, opts),
        HttpEvent::Quic(q) => quic(out, q, opts),
        HttpEvent::Summary(s) => summary(out, s, opts),
        HttpEvent::Compare(c) => compare(out, c, opts),
        HttpEvent::Runs(r) => runs(out, r, opts),
        HttpEvent::Edge(e) => edge(out, e, opts),
    }
    style::notes(out, notes, opts, "             ");
}

/// `   0.0 ms  client <-> server  TCP handshake: SYN, SYN-ACK, ACK  (0.3 ms, 1 round trip)`
fn setup(out: &mut String, s: &SetupSeen, opts: &RenderOpts) {
    let p = &opts.palette;
    let trips = match s.round_trips {
        Some(1) => ", 1 round trip".to_string(),
        Some(n) => format!(", {n} round trips"),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{:>10}  {}client <-> server{}  {}  {}({}{trips}){}",
        ms(s.start_us),
        p.yellow,
        p.reset,
        s.what,
        p.dim,
        ms(s.end_us.saturating_sub(s.start_us)),
        p.reset
    );
}

fn frame(out: &mut String, f: &FrameSeen, opts: &RenderOpts) {
    let p = &opts.palette;
    let arrow = match f.direction {
        Direction::ClientToServer => format!("{}client -> server{}", p.cyan, p.reset),
        Direction::ServerToClient => format!("{}client <- server{}", p.green, p.reset),
    };
    let flags = if f.flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", f.flags.join(" "))
    };
    let _ = writeln!(
        out,
        "{:>10}  {arrow}  {}{}{} stream {}{flags} ({} B)",
        ms(f.time_us),
        p.bold,
        f.frame_type,
        p.reset,
        f.stream,
        f.length
    );
    for d in &f.details {
        let _ = writeln!(out, "             {d}");
    }
    for field in &f.fields {
        let how = match (field.representation.as_str(), field.source, field.index) {
            ("indexed", Source::Static, Some(i)) => format!("static table #{i}"),
            ("indexed", Source::Dynamic, Some(i)) => format!("dynamic table #{i}"),
            ("indexed_post_base", Source::Dynamic, Some(i)) => format!("dynamic table #{i}, after the section's Base"),
            (r, Source::Static, Some(i)) => format!("name from static #{i}, literal value, {}", r.replace('_', " ")),
            (r, Source::Dynamic, Some(i)) => format!("name from dynamic #{i}, literal value, {}", r.replace('_', " ")),
            (r, _, _) => format!("literal, {}", r.replace('_', " ")),
        };
        let huffman = if field.huffman { ", Huffman" } else { "" };
        let _ = writeln!(
            out,
            "               {}: {}  {}({how}{huffman}: {} B for {} B){}",
            field.name, field.value, p.dim, field.encoded_len, field.plain_len, p.reset
        );
    }
}

fn response(out: &mut String, r: &ResponseSeen, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "{}{} {}{} on stream {}: {} B of body; sent at {}, first byte at {}, done at {}",
        p.bold,
        r.protocol,
        r.status,
        p.reset,
        r.stream,
        r.body_bytes,
        ms(r.sent_us),
        ms(r.first_byte_us),
        ms(r.done_us)
    );
    // The headers of the first response only: the others repeat them.
    if r.stream <= 1 {
        for (n, v) in &r.headers {
            let _ = writeln!(out, "             {n}: {v}");
        }
    }
    if let Some(c) = &r.cache {
        let _ = writeln!(
            out,
            "             {}cache ({}):{} {}",
            p.cyan,
            c.cache,
            p.reset,
            c.words()
        );
    }
    if let Some(l) = &r.ratelimit {
        let _ = writeln!(
            out,
            "             {}rate limit:{} {}",
            p.cyan,
            p.reset,
            super::edge_story::limit_words(l)
        );
    }
}

/// `http.edge`: the hit ratio, the pacing, allowed and limited requests per second, and the
/// first 429's story.
fn edge(out: &mut String, e: &EdgeSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(out, "\n{};; {} at the edge{}", p.bold, e.protocol, p.reset);
    if let Some(paced) = &e.pacing {
        let _ = writeln!(
            out,
            "   paced at {} ({:.1} requests/s): {} requests sent over {}",
            paced.rate,
            paced.per_second,
            e.responses,
            ms(paced.spread_us)
        );
    }
    if let Some(c) = &e.cache {
        let mut parts = vec![format!("{} hit", c.hits), format!("{} miss", c.misses)];
        for (n, what) in [
            (c.not_cacheable, "not cacheable"),
            (c.stale, "stale"),
            (c.revalidated, "revalidated"),
            (c.collapsed, "collapsed"),
            (c.bypass, "bypass"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let _ = writeln!(
            out,
            "   hit ratio {:.0}% ({} of {} responses): {}; origin fetches saved: {}",
            c.hit_ratio * 100.0,
            c.hits,
            e.responses,
            parts.join(", "),
            c.origin_fetches_saved
        );
    }
    let Some(r) = &e.rate else { return };
    let _ = writeln!(out, "   {} allowed, {} limited (429)", r.allowed, r.limited);
    if r.per_second.len() > 1 || r.limited > 0 {
        let widest = r
            .per_second
            .iter()
            .map(|s| s.allowed + s.limited)
            .max()
            .unwrap_or(1)
            .max(1);
        let scale = |n: u32| (n as usize * BAR).div_ceil(widest as usize);
        for s in &r.per_second {
            let _ = writeln!(
                out,
                "   second {:>3}  {:>4} allowed {:>4} limited  {}{}{}{}{}",
                s.second,
                s.allowed,
                s.limited,
                p.green,
                "█".repeat(scale(s.allowed)),
                p.red,
                "░".repeat(scale(s.limited)),
                p.reset
            );
        }
    }
    if let Some(first) = &r.first_limited {
        let _ = writeln!(
            out,
            "   the first 429: request {}, {} after the first request, after {} allowed",
            first.request,
            ms(first.after_us),
            first.allowed_before
        );
        for line in super::edge_story::story(&first.fields) {
            let _ = writeln!(out, "     {line}");
        }
    }
}

fn quic(out: &mut String, q: &QuicStats, opts: &RenderOpts) {
    let p = &opts.palette;
    let list = |v: &[(String, u64)]| v.iter().map(|(n, c)| format!("{n} {c}")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        out,
        "{}QUIC{}: RTT {} (min {}), congestion window {} B, {} congestion event(s); {} packets sent, {} lost; {} UDP datagrams out, {} in; path MTU {}",
        p.bold,
        p.reset,
        ms(q.rtt_us),
        ms(q.min_rtt_us),
        q.congestion_window,
        q.congestion_events,
        q.sent_packets,
        q.lost_packets,
        q.udp_datagrams_sent,
        q.udp_datagrams_received,
        q.current_mtu
    );
    let _ = writeln!(out, "      frames sent: {}", list(&q.frames_sent));
    let _ = writeln!(out, "      frames received: {}", list(&q.frames_received));
}

fn summary(out: &mut String, s: &HttpSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let via = s.via.as_ref().map(|v| format!(" via {v}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "\n{};; {} {} ({}{via}, {}): {}/{} response(s), {} B of body, total {}{}",
        p.bold,
        s.protocol,
        s.url,
        s.address,
        s.tls_version.as_deref().unwrap_or("no TLS"),
        s.responses,
        s.requests,
        s.body_bytes,
        ms(s.total_us),
        p.reset
    );
    if s.connection > 1 {
        let how = match (s.resumed, s.zero_rtt) {
            (_, Some(true)) => "resumed with the first connection's ticket, and the request went as 0-RTT data in the first flight: the server accepted it",
            (_, Some(false)) => "resumed, the request sent as 0-RTT data, but the server refused it: it was sent again after the handshake",
            (true, None) => "the TLS session resumed with the first connection's ticket (a PSK handshake: no certificate), still one round trip for TLS",
            (false, None) => "the server did not resume the session: a full handshake again",
        };
        let _ = writeln!(out, "   {}connection {}:{} {how}", p.yellow, s.connection, p.reset);
    }
    let longest = s.phases.iter().map(|ph| ph.end_us).max().unwrap_or(1).max(1);
    for ph in &s.phases {
        let from = (ph.start_us as usize * BAR) / longest as usize;
        let to = ((ph.end_us as usize * BAR) / longest as usize).max(from + 1).min(BAR);
        let bar = format!(
            "{}{}{}",
            " ".repeat(from),
            "█".repeat(to.saturating_sub(from)),
            " ".repeat(BAR - to.min(BAR))
        );
        let rtt = ph
            .round_trips
            .map(|n| format!("  {n} round trip{}", if n == 1 { "" } else { "s" }))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "   {:<20} {:>10}  {}{bar}{}{rtt}",
            ph.name,
            ms(ph.end_us.saturating_sub(ph.start_us)),
            p.cyan,
            p.reset
        );
    }
    if let Some(rate) = s.download_bytes_per_s {
        let _ = writeln!(
            out,
            "   throughput: {} B of body at {} over the download phase",
            s.body_bytes,
            per_second(rate)
        );
    }
    if let Some(c) = &s.request_headers {
        let _ = writeln!(
            out,
            "   {}: request headers took {} B on the wire for {} B of text ({:.0}%): {} of {} fields were one table index, {} from the dynamic table",
            if s.protocol == "h3" { "QPACK" } else { "HPACK" },
            c.encoded,
            c.plain,
            100.0 * c.encoded as f64 / c.plain.max(1) as f64,
            c.indexed_fields,
            c.fields,
            c.dynamic_hits
        );
    }
    if let Some(a) = &s.alt_svc {
        let _ = writeln!(
            out,
            "   alt-svc: {a}  (this origin also speaks HTTP/3 on that UDP port, RFC 7838)"
        );
    }
    if let Some(r) = &s.https_record {
        let _ = writeln!(
            out,
            "   DNS: {r}  (an HTTPS record, RFC 9460: the protocols are known before connecting)"
        );
    }
    if let Some(n) = &s.frames_note {
        let _ = writeln!(out, "   {}note:{} {n}", p.yellow, p.reset);
    }
    if let Some(why) = &s.unverified_because {
        let _ = writeln!(
            out,
            "{}{}!! INSECURE: {why}. --insecure let the connection go on: nothing proves this server is who it claims to be.{}",
            p.bold, p.red, p.reset
        );
    }
    if let Some(e) = &s.error {
        let _ = writeln!(out, "{}failed:{} {e}", p.red, p.reset);
    }
}

fn compare(out: &mut String, c: &Comparison, opts: &RenderOpts) {
    let p = &opts.palette;
    let cell = |us: Option<u64>, rtt: Option<u32>| match (us, rtt) {
        (Some(us), Some(n)) => format!("{} ({n} RTT)", ms(us)),
        (Some(us), None) => ms(us),
        (None, _) => "-".into(),
    };
    let _ = writeln!(
        out,
        "\n{}{:<22} {:>20} {:>20}{}",
        p.bold, "HTTP/2 vs HTTP/3", "h2 (TCP+TLS)", "h3 (QUIC)", p.reset
    );
    for r in &c.rows {
        let _ = writeln!(
            out,
            "{:<22} {:>20} {:>20}",
            r.what,
            cell(r.h2_us, r.h2_round_trips),
            cell(r.h3_us, r.h3_round_trips)
        );
    }
    if c.streams.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}{:<22} {:>20} {:>20}{}",
        p.bold, "request sent -> done", "h2 (stream)", "h3 (stream)", p.reset
    );
    let side = |us: Option<u64>, stream: Option<u64>| match (us, stream) {
        (Some(us), Some(s)) => format!("{} ({s})", ms(us)),
        _ => "-".into(),
    };
    for s in &c.streams {
        let _ = writeln!(
            out,
            "{:<22} {:>20} {:>20}",
            format!("request {}", s.request),
            side(s.h2_us, s.h2_stream),
            side(s.h3_us, s.h3_stream)
        );
    }
}

/// `--runs`: the distributions side by side, then the drops and the streams they delayed.
fn runs(out: &mut String, r: &RunsSummary, opts: &RenderOpts) {
    let p = &opts.palette;
    let _ = writeln!(
        out,
        "\n{}{:<34} {:>12} {:>12}{}",
        p.bold,
        format!(
            "{} runs x {} requests (seeds {}-{})",
            r.runs,
            r.requests,
            r.first_seed,
            r.first_seed + u64::from(r.runs) - 1
        ),
        "h2",
        "h3",
        p.reset
    );
    let time = |us: Option<u64>| us.map_or_else(|| "-".into(), ms);
    let slowest = |s: &ProtocolRuns| s.loss_free_us.iter().flatten().max().copied();
    let rows: [(&str, String, String); 8] = [
        (
            "loss-free run, slowest request",
            time(slowest(&r.h2)),
            time(slowest(&r.h3)),
        ),
        ("p50 request sent -> done", time(r.h2.p50_us), time(r.h3.p50_us)),
        ("p90", time(r.h2.p90_us), time(r.h3.p90_us)),
        ("p99", time(r.h2.p99_us), time(r.h3.p99_us)),
        (
            "packets dropped in the exchanges",
            r.h2.drops.to_string(),
            r.h3.drops.to_string(),
        ),
        (
            "streams delayed by a loss",
            r.h2.delayed.to_string(),
            r.h3.delayed.to_string(),
        ),
        (
            "streams delayed per drop",
            per_drop(r.h2.delayed_per_drop),
            per_drop(r.h3.delayed_per_drop),
        ),
        ("requests failed", r.h2.failed.to_string(), r.h3.failed.to_string()),
    ];
    for (what, h2, h3) in rows {
        let _ = writeln!(out, "{what:<34} {h2:>12} {h3:>12}");
    }
    let _ = writeln!(
        out,
        "   (delayed: in a run with drops, finished {} or more after the same request on the loss-free run, half the link's {} round trip)",
        ms(r.late_by_us),
        ms(r.round_trip_us)
    );
}

fn per_drop(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

/// Octets per second, in the unit that keeps three or so digits (decimal prefixes).
fn per_second(rate: u64) -> String {
    match rate {
        r if r >= 1_000_000 => format!("{:.1} MB/s", r as f64 / 1e6),
        r if r >= 1_000 => format!("{:.1} kB/s", r as f64 / 1e3),
        r => format!("{r} B/s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(request: u32, status: u16, headers: &[(&str, &str)]) -> ResponseSeen {
        let mut r = ResponseSeen {
            protocol: "h2".into(),
            stream: u64::from(request) * 2 + 1,
            request,
            status,
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            sent_us: u64::from(request) * 100_000,
            ..Default::default()
        };
        r.read_edge_fields(0);
        r
    }

    fn text(e: &HttpEvent) -> String {
        let mut out = String::new();
        event(&mut out, e, &[], &RenderOpts::plain());
        out
    }

    /// A 429 as `netlab edge --limit 10/1s` sends it.
    const LIMITED: [(&str, &str); 3] = [
        ("ratelimit-policy", "\"edge\";q=10;w=1"),
        ("ratelimit", "\"edge\";r=0;t=1"),
        ("retry-after", "1"),
    ];

    #[test]
    fn each_response_says_what_the_cache_and_the_limiter_did() {
        let hit = seen(
            2,
            200,
            &[
                ("cache-status", "netlab; hit; ttl=48"),
                ("age", "12"),
                ("cache-control", "s-maxage=60"),
            ],
        );
        assert!(text(&HttpEvent::Response(hit))
            .contains("cache (netlab): hit: age 12 s of a 60 s lifetime (Cache-Control: s-maxage=60): 48 s left"));
        assert!(text(&HttpEvent::Response(seen(3, 429, &LIMITED)))
            .contains("rate limit: limited (429): 0 left of 10 requests per 1 s, more quota in 1 s; Retry-After 1 s"));
    }

    #[test]
    fn the_edge_tally_has_the_hit_ratio_a_bar_per_second_and_the_first_429s_story() {
        let miss = [("cache-status", "netlab; fwd=uri-miss; fwd-status=200; stored")];
        let hit = [("cache-status", "netlab; hit; ttl=59"), ("age", "1")];
        let rs = vec![
            seen(1, 200, &miss),
            seen(2, 200, &hit),
            seen(3, 200, &hit),
            seen(4, 429, &LIMITED),
        ];
        let e = super::super::edge_story::summarise("h2", &rs, None).unwrap();
        let t = text(&HttpEvent::Edge(Box::new(e)));
        assert!(
            t.contains("hit ratio 50% (2 of 4 responses): 2 hit, 1 miss; origin fetches saved: 2"),
            "{t}"
        );
        assert!(t.contains("3 allowed, 1 limited (429)"), "{t}");
        assert!(t.contains("second   0     3 allowed    1 limited"), "{t}");
        assert!(
            t.contains("the first 429: request 4, 300.0 ms after the first request, after 3 allowed"),
            "{t}"
        );
        assert!(t.contains("Retry-After: 1  wait 1 s before sending again"), "{t}");
        assert!(
            t.contains("RateLimit: r=0;t=1  0 request(s) left for the next 1 s"),
            "{t}"
        );
        assert!(t.contains("send at most 10.0 per second on average"), "{t}");
    }
}
