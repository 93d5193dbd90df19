//! `netlab ddos`'s pictures. `syn`: the SYN queue (sockets in SYN_RECV) over time, one line per
//! `tcp_syncookies` setting, with the legitimate client's failed connects marked under it.
//! `filter`, `reflect` and `http`: horizontal bars, one per depth, question or defence, each
//! labelled with its figures, so the comparison reads at a glance and in black and white.

use super::{clip, ink, num_ms, ticks, Anchor, Axes, Svg, DASHED, FONT, GRID, MAX_DRAWN, SOLID};
use crate::ddos::events::{Cookies, DdosEvent, Probe, Sample};
use crate::trace::{EventKind, Trace};

const MARGIN: f64 = 24.0;
const LEFT: f64 = 80.0;
const PLOT_W: f64 = 560.0;
const PLOT_H: f64 = 240.0;
/// Bars: the label column's width, one bar's height and the gap between bars.
const LABEL_W: f64 = 190.0;
const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 10.0;

fn events(trace: &Trace) -> impl Iterator<Item = &DdosEvent> {
    trace.events.iter().filter_map(|e| match &e.kind {
        EventKind::Ddos(d) => Some(d),
        _ => None,
    })
}

/// The picture of a `ddos` trace.
pub fn picture(trace: &Trace) -> String {
    match trace.command.as_str() {
        "ddos filter" => filter(trace),
        "ddos reflect" => reflect(trace),
        "ddos http" => http(trace),
        _ => syn(trace),
    }
}

/// One bar: its label, its value, and the figures written after it.
struct Bar {
    label: String,
    value: f64,
    figures: String,
}

/// Horizontal bars under a title, scaled to the largest value; returns the document.
fn bars(title: &str, axis: &str, rows: &[Bar], footer: &[String]) -> String {
    let mut svg = Svg::new();
    svg.text((MARGIN, 20.0), Anchor::Start, 15.0, true, title);
    let top = 48.0;
    let x0 = MARGIN + LABEL_W;
    let drawn = &rows[..rows.len().min(MAX_DRAWN)];
    let max = drawn.iter().map(|b| b.value).fold(0.0, f64::max);
    let (xt, x_end) = ticks(max, 5.0);
    let bottom = top + drawn.len() as f64 * (BAR_H + BAR_GAP);
    svg.open("axis");
    for v in &xt {
        let x = x0 + v / x_end * PLOT_W;
        svg.line((x, top - 4.0), (x, bottom), GRID);
        svg.text((x, bottom + 14.0), Anchor::Middle, 10.0, false, &num_ms(*v));
    }
    svg.line((x0, top - 4.0), (x0, bottom), SOLID);
    svg.text((x0 + PLOT_W / 2.0, bottom + 32.0), Anchor::Middle, FONT, false, axis);
    svg.close();
    for (i, b) in drawn.iter().enumerate() {
        let y = top + i as f64 * (BAR_H + BAR_GAP);
        let w = if x_end > 0.0 { b.value / x_end * PLOT_W } else { 0.0 };
        svg.open("bar");
        svg.text((x0 - 8.0, y + 13.0), Anchor::End, FONT, false, &clip(&b.label, 26));
        svg.rect((x0, y), (w, BAR_H), ink::BODY, Some(SOLID));
        svg.text(
            (x0 + w + 6.0, y + 13.0),
            Anchor::Start,
            10.0,
            false,
            &clip(&b.figures, 60),
        );
        svg.close();
    }
    let mut y = bottom + 56.0;
    svg.open("legend");
    if rows.len() > drawn.len() {
        svg.text(
            (MARGIN, y),
            Anchor::Start,
            FONT,
            false,
            &format!("({} more not drawn)", rows.len() - drawn.len()),
        );
        y += 18.0;
    }
    for line in footer {
        svg.text((MARGIN, y), Anchor::Start, FONT, false, &clip(line, 110));
        y += 18.0;
    }
    svg.close();
    svg.finish(title, x0 + PLOT_W + 300.0, y + MARGIN)
}

fn filter(trace: &Trace) -> String {
    let rows: Vec<Bar> = events(trace)
        .filter_map(|e| match e {
            DdosEvent::Filter(r) => Some(Bar {
                label: match &r.xdp_mode {
                    Some(mode) => format!("{} ({mode})", r.depth.name()),
                    None => r.depth.name().to_string(),
                },
                value: r.cpu.ns_per_packet,
                figures: format!(
                    "{:.0} ns/datagram, {:.0} kpps sent, {} dropped here, {} to the app",
                    r.cpu.ns_per_packet,
                    r.sent_pps / 1e3,
                    r.dropped_here,
                    r.app_received
                ),
            }),
            _ => None,
        })
        .collect();
    let footer = vec![
        "The machine's CPU time per datagram, sending included (the same at every depth): the rest is the layers crossed.".to_string(),
    ];
    bars(
        "netlab ddos filter: one UDP flood, dropped at three depths",
        "CPU time per datagram (ns)",
        &rows,
        &footer,
    )
}

fn reflect(trace: &Trace) -> String {
    let rows: Vec<Bar> = events(trace)
        .filter_map(|e| match e {
            DdosEvent::Reflection(r) => Some(Bar {
                label: format!("{} {} {}", r.phase.name(), r.qtype, r.qname.trim_end_matches('.')),
                value: r.factor,
                figures: format!(
                    "x{:.1}: {} B sent, {} B at the victim ({} answers, {} TC)",
                    r.factor, r.query_bytes, r.answer_bytes, r.answers, r.truncated
                ),
            }),
            _ => None,
        })
        .collect();
    let footer = vec!["Bytes at the victim per byte of forged queries: plain, behind RRL, past BCP 38.".to_string()];
    bars(
        "netlab ddos reflect: DNS amplification per question",
        "amplification factor (bytes out / bytes in)",
        &rows,
        &footer,
    )
}

fn http(trace: &Trace) -> String {
    let rows: Vec<Bar> = events(trace)
        .filter_map(|e| match e {
            DdosEvent::Web(r) => Some(Bar {
                label: r.mitigation.name().to_string(),
                value: r.origin_requests as f64,
                figures: format!(
                    "{} at the origin; bots {} of {} passed; user {}/{}, NAT user {}/{}",
                    r.origin_requests,
                    r.bot_ok,
                    r.bot_requests,
                    r.user.ok,
                    r.user.attempts,
                    r.nat_user.ok,
                    r.nat_user.attempts
                ),
            }),
            _ => None,
        })
        .collect();
    let footer = vec![
        "What reached the origin per defence, and what the real user and the user behind a bot's address got."
            .to_string(),
    ];
    bars(
        "netlab ddos http: an HTTP flood at the edge",
        "requests the origin answered",
        &rows,
        &footer,
    )
}

/// The SYN queue over time, a line per cookie setting; failed client connects as crosses.
fn syn(trace: &Trace) -> String {
    let title = "netlab ddos syn: the SYN queue under a flood";
    let samples: Vec<&Sample> = events(trace)
        .filter_map(|e| match e {
            DdosEvent::Sample(s) => Some(s),
            _ => None,
        })
        .take(MAX_DRAWN)
        .collect();
    let probes: Vec<&Probe> = events(trace)
        .filter_map(|e| match e {
            DdosEvent::Probe(p) => Some(p),
            _ => None,
        })
        .take(MAX_DRAWN)
        .collect();
    let mut svg = Svg::new();
    svg.text((MARGIN, 20.0), Anchor::Start, 15.0, true, title);
    let top = 44.0;
    let (x0, y0) = (LEFT, top + PLOT_H);
    let max_t = samples.iter().map(|s| s.t_ms).max().unwrap_or(0) as f64;
    let max_q = samples.iter().map(|s| s.syn_recv).max().unwrap_or(0) as f64;
    let (xt, x_end) = ticks(max_t, 6.0);
    let (yt, y_end) = ticks(max_q, 5.0);
    let px = |t: u64| x0 + t as f64 / x_end * PLOT_W;
    let py = |q: u64| y0 - q as f64 / y_end * PLOT_H;
    Axes {
        x0,
        top,
        width: PLOT_W,
        height: PLOT_H,
        x: (&xt, x_end, "time since the run started (ms)"),
        y: (&yt, y_end, "half-open connections (SYN_RECV)"),
    }
    .draw(&mut svg);
    let settings = [Cookies::Off, Cookies::On, Cookies::Always];
    for (setting, stroke) in settings.iter().zip([SOLID, DASHED, DASHED]) {
        let line: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| s.cookies == *setting)
            .map(|s| (px(s.t_ms), py(s.syn_recv)))
            .collect();
        if line.is_empty() {
            continue;
        }
        svg.open(&format!("series cookies-{}", setting.name()));
        if line.len() > 1 {
            svg.polyline(&line, stroke);
        }
        if let Some(last) = line.last() {
            svg.text(
                (last.0 + 6.0, last.1 - 6.0),
                Anchor::Start,
                10.0,
                false,
                &format!("cookies {}", setting.name()),
            );
        }
        svg.close();
    }
    svg.open("failed-connects");
    for p in probes.iter().filter(|p| !p.connected) {
        let (x, y) = (px(p.t_ms), y0 - 8.0);
        svg.line((x - 4.0, y - 4.0), (x + 4.0, y + 4.0), SOLID);
        svg.line((x - 4.0, y + 4.0), (x + 4.0, y - 4.0), SOLID);
    }
    svg.close();
    let failed = probes.iter().filter(|p| !p.connected).count();
    let mut y = y0 + 60.0;
    svg.open("legend");
    for line in [
        "solid: tcp_syncookies=0 (off); dashed: 1 (on) or 2 (always)".to_string(),
        format!(
            "x: a legitimate connect that did not finish within 900 ms ({failed} of {})",
            probes.len()
        ),
    ] {
        svg.text((x0, y), Anchor::Start, FONT, false, &line);
        y += 18.0;
    }
    svg.close();
    svg.finish(title, LEFT + PLOT_W + 2.0 * MARGIN + 80.0, y + MARGIN)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{count, texts};
    use super::*;
    use crate::ddos::events::{CpuUse, Depth, FilterRun};
    use crate::trace::{Outcome, TraceBuilder};

    fn run(depth: Depth, ns: f64) -> FilterRun {
        FilterRun {
            depth,
            rule: String::new(),
            xdp_mode: (depth == Depth::Xdp).then(|| "native".to_string()),
            sent: 1000,
            send_ms: 2.0,
            sent_pps: 500_000.0,
            at_interface: 1000,
            dropped_here: 990,
            dropped_pps: 495_000.0,
            socket_drops: 0,
            app_received: 10,
            app_served: 10,
            app_dropped: 0,
            cpu: CpuUse {
                machine_ms: 1.0,
                user_ms: 0.0,
                system_ms: 1.0,
                softirq_ms: 0.0,
                sender_ms: 1.0,
                app_ms: 0.0,
                ns_per_packet: ns,
            },
        }
    }

    #[test]
    fn one_bar_per_depth_with_its_figures() {
        let mut b = TraceBuilder::new("ddos", "ddos filter");
        for (d, ns) in [(Depth::App, 3000.0), (Depth::Nftables, 2000.0), (Depth::Xdp, 1500.0)] {
            b.push(DdosEvent::Filter(run(d, ns)), Vec::new());
        }
        let svg = picture(&b.finish(Outcome::Ok));
        assert_eq!(count(&svg, "bar"), 3);
        let texts = texts(&svg);
        for label in ["app", "nftables", "xdp (native)", "CPU time per datagram (ns)"] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
        assert!(texts.iter().any(|t| t.starts_with("3000 ns/datagram")), "{texts:?}");
    }

    #[test]
    fn the_queue_is_a_line_per_setting_and_failed_connects_are_marked() {
        let mut b = TraceBuilder::new("ddos", "ddos syn");
        for (cookies, q) in [(Cookies::Off, 17), (Cookies::On, 17)] {
            for t in 0..5 {
                b.push(
                    DdosEvent::Sample(Sample {
                        cookies,
                        t_ms: t * 100,
                        syn_recv: q * t / 4,
                        counters: Default::default(),
                    }),
                    Vec::new(),
                );
            }
        }
        b.push(
            DdosEvent::Probe(Probe {
                cookies: Cookies::Off,
                t_ms: 250,
                connected: false,
                connect_ms: 900.0,
                during_flood: true,
            }),
            Vec::new(),
        );
        let svg = picture(&b.finish(Outcome::Ok));
        assert_eq!(count(&svg, "series cookies-off"), 1, "{svg}");
        assert_eq!(count(&svg, "series cookies-on"), 1, "{svg}");
        assert_eq!(count(&svg, "series cookies-always"), 0, "no run, no line: {svg}");
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "cookies off"), "{texts:?}");
        assert!(
            texts.iter().any(|t| t.contains("(1 of 1)")),
            "the failed connect is counted: {texts:?}"
        );
    }
}
