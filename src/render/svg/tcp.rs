//! `netlab tcp`'s congestion window over time: the TCP_INFO samples taken during the transfer
//! (`packet.tcp_info`), cwnd and ssthresh in segments against milliseconds since the
//! connection started. Below ssthresh a loss-based sender is in slow start and grows cwnd by
//! up to one segment per acknowledged segment (RFC 5681 §3.1); above it, in congestion
//! avoidance, Reno adds about one segment per round trip (RFC 5681 §3.1) and CUBIC follows its
//! cubic function of the time since the last reduction (RFC 9438 §4). Until ssthresh is first
//! set (by a loss, or by BBR when its Startup ends) Linux reports it as "infinite"
//! (0x7fffffff), which is not plotted.

use super::{ink, ticks, Anchor, Axes, Svg, DASHED, FONT, MAX_DRAWN, SOLID};
use crate::packet::events::PacketEvent;
use crate::packet::tcpinfo::TcpInfoSample;
use crate::trace::{EventKind, Trace};

const MARGIN: f64 = 24.0;
const LEFT: f64 = 80.0;
const PLOT_W: f64 = 560.0;
const PLOT_H: f64 = 280.0;
/// At and above this, Linux's ssthresh means "not set yet".
const NO_SSTHRESH: u32 = 0x7fff_ffff;

/// The picture of a `tcp` trace.
pub fn chart(trace: &Trace) -> String {
    let samples: Vec<&TcpInfoSample> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Packet(PacketEvent::TcpInfo(s)) => Some(s),
            _ => None,
        })
        .collect();
    let target = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Packet(PacketEvent::Connect(c)) => Some(c.remote.clone()),
        _ => None,
    });
    let title = format!("netlab tcp {}: congestion window", target.unwrap_or_default());
    let mut svg = Svg::new();
    svg.text((MARGIN, 20.0), Anchor::Start, 15.0, true, &title);
    let drawn = &samples[..samples.len().min(MAX_DRAWN)];
    let height = plot(&mut svg, drawn, samples.len() - drawn.len());
    svg.finish(&title, LEFT + PLOT_W + 2.0 * MARGIN + 60.0, height)
}

/// The axes, the lines, the legend; returns the height used.
fn plot(svg: &mut Svg, samples: &[&TcpInfoSample], not_drawn: usize) -> f64 {
    let top = 44.0;
    let (x0, y0) = (LEFT, top + PLOT_H);
    let finite = |s: &&&TcpInfoSample| s.ssthresh < NO_SSTHRESH;
    let max_t = samples.iter().map(|s| s.time_us).max().unwrap_or(0) as f64 / 1000.0;
    let max_w = samples
        .iter()
        .map(|s| s.cwnd)
        .chain(samples.iter().filter(finite).map(|s| s.ssthresh))
        .max()
        .unwrap_or(0) as f64;
    let (xt, x_end) = ticks(max_t, 6.0);
    let (yt, y_end) = ticks(max_w, 5.0);
    let px = |t_us: u64| x0 + (t_us as f64 / 1000.0) / x_end * PLOT_W;
    let py = |w: u32| y0 - f64::from(w) / y_end * PLOT_H;

    Axes {
        x0,
        top,
        width: PLOT_W,
        height: PLOT_H,
        x: (&xt, x_end, "time since the connection started (ms)"),
        y: (&yt, y_end, "segments (of MSS bytes)"),
    }
    .draw(svg);

    let cwnd: Vec<(f64, f64)> = samples.iter().map(|s| (px(s.time_us), py(s.cwnd))).collect();
    svg.open("series cwnd");
    if cwnd.len() > 1 {
        svg.polyline(&cwnd, SOLID);
    }
    for (i, p) in cwnd.iter().enumerate() {
        svg.open("point");
        svg.circle(*p, 3.5, ink::PAGE);
        svg.close();
        if i + 1 == cwnd.len() {
            let s = samples[i];
            svg.text(
                (p.0 + 8.0, p.1 - 6.0),
                Anchor::Start,
                FONT,
                false,
                &format!("cwnd {}", s.cwnd),
            );
        }
    }
    svg.close();

    let thresholds: Vec<(f64, f64)> = samples
        .iter()
        .filter(finite)
        .map(|s| (px(s.time_us), py(s.ssthresh)))
        .collect();
    svg.open("series ssthresh");
    if thresholds.len() > 1 {
        svg.polyline(&thresholds, DASHED);
    }
    for p in &thresholds {
        svg.open("point");
        svg.rect((p.0 - 3.5, p.1 - 3.5), (7.0, 7.0), ink::DARK, None);
        svg.close();
    }
    svg.close();

    // The legend: a sample of each line, and what the samples say beside the picture.
    let mut y = y0 + 60.0;
    svg.open("legend");
    svg.line((x0, y - 4.0), (x0 + 30.0, y - 4.0), SOLID);
    svg.circle((x0 + 15.0, y - 4.0), 3.5, ink::PAGE);
    svg.text(
        (x0 + 40.0, y),
        Anchor::Start,
        FONT,
        false,
        "cwnd: the congestion window (solid, circles)",
    );
    y += 18.0;
    svg.line((x0, y - 4.0), (x0 + 30.0, y - 4.0), DASHED);
    svg.rect((x0 + 11.5, y - 7.5), (7.0, 7.0), ink::DARK, None);
    let ss = if thresholds.is_empty() && !samples.is_empty() {
        "ssthresh (dashed, squares): not set in any sample (reported as infinite)"
    } else {
        "ssthresh: the slow-start threshold (dashed, squares)"
    };
    svg.text((x0 + 40.0, y), Anchor::Start, FONT, false, ss);
    y += 22.0;
    let facts = match samples.last() {
        Some(last) => format!(
            "{} sample(s), {}; MSS {} B at the end; {} retransmission(s) in all",
            samples.len(),
            last.algorithm,
            last.mss,
            last.total_retransmits
        ),
        _ => "no TCP_INFO samples in this trace".to_string(),
    };
    svg.text((x0, y), Anchor::Start, FONT, false, &facts);
    if not_drawn > 0 {
        y += 18.0;
        svg.text(
            (x0, y),
            Anchor::Start,
            FONT,
            false,
            &format!("({not_drawn} more not drawn)"),
        );
    }
    svg.close();
    y + MARGIN
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{count, texts, trace};
    use super::*;

    #[test]
    fn every_sample_is_a_point_with_axes_and_units() {
        let t = trace("tcp-discard");
        let svg = chart(&t);
        let samples = t
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Packet(PacketEvent::TcpInfo(_))))
            .count();
        assert_eq!(samples, 2);
        // Both samples' ssthresh is "infinite": only the cwnd points are drawn.
        assert_eq!(count(&svg, "point"), samples);
        let texts = texts(&svg);
        for label in [
            "time since the connection started (ms)",
            "segments (of MSS bytes)",
            "cwnd 13",
            "ssthresh (dashed, squares): not set in any sample (reported as infinite)",
        ] {
            assert!(texts.iter().any(|t| t == label), "{label} not in {texts:?}");
        }
    }
}
