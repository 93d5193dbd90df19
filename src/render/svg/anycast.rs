//! `netlab anycast`'s picture: the topology (routers, PoPs, clients and each link's delay), each
//! client's path to the PoP it reached drawn over it (solid before the change, dashed after),
//! the PoP that went marked, and under it what the change did: the moves, the downloads, and the
//! BGP messages that carried the news.

use super::{clip, ink, Anchor, Stroke, Svg, FONT, THIN};
use crate::anycast::events::{AnycastEvent, PopChange, Reach, Setup};
use crate::trace::{EventKind, Trace};

const WIDTH: f64 = 760.0;
const NODE_W: f64 = 76.0;
const NODE_H: f64 = 30.0;
/// Where the topology's nodes sit; a node of another name is not drawn.
const PLACES: [(&str, (f64, f64)); 7] = [
    ("c-eu", (150.0, 70.0)),
    ("c-asia", (610.0, 70.0)),
    ("ta", (150.0, 170.0)),
    ("tb", (610.0, 170.0)),
    ("fra", (70.0, 290.0)),
    ("iad", (380.0, 290.0)),
    ("sin", (690.0, 290.0)),
];
/// The most lines of BGP messages listed under the picture.
const MAX_BGP: usize = 12;
/// A client's path: thick, solid before the change and dashed after.
const PATH: Stroke = Stroke {
    colour: ink::DARK,
    width: 3.5,
    dash: None,
};
const PATH_AFTER: Stroke = Stroke {
    colour: ink::DARK,
    width: 3.5,
    dash: Some("9 5"),
};

fn place(node: &str) -> Option<(f64, f64)> {
    PLACES.iter().find(|(n, _)| *n == node).map(|(_, p)| *p)
}

/// The picture of an `anycast` trace.
pub fn picture(trace: &Trace) -> String {
    let events: Vec<&AnycastEvent> = trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Anycast(a) => Some(a),
            _ => None,
        })
        .collect();
    let setup = events.iter().find_map(|e| match e {
        AnycastEvent::Setup(s) => Some(s),
        _ => None,
    });
    let change = events.iter().find_map(|e| match e {
        AnycastEvent::Change(c) => Some(c),
        _ => None,
    });
    let reaches: Vec<&Reach> = events
        .iter()
        .filter_map(|e| match e {
            AnycastEvent::Reach(r) => Some(r),
            _ => None,
        })
        .collect();
    let mut svg = Svg::new();
    let address = setup.map_or("the anycast address", |s| s.address.as_str());
    svg.text(
        (24.0, 22.0),
        Anchor::Start,
        15.0,
        true,
        &format!("Anycast {address}: which PoP each client reaches"),
    );
    // The paths over the links, the nodes over the paths (each path ends at a node's edge).
    if let Some(s) = setup {
        links(&mut svg, s);
    }
    paths(&mut svg, &reaches, setup);
    if let Some(s) = setup {
        nodes(&mut svg, s, change);
    }
    let mut y = 372.0;
    svg.open("legend");
    svg.line((24.0, y), (64.0, y), PATH);
    svg.text((72.0, y + 4.0), Anchor::Start, FONT, false, "path before the change");
    svg.line((284.0, y), (324.0, y), PATH_AFTER);
    svg.text((332.0, y + 4.0), Anchor::Start, FONT, false, "path after it");
    svg.close();
    y += 30.0;
    svg.open("reaches");
    for r in reaches.iter().take(8) {
        let rtt = r.rtt_ms.map_or("no answer".to_string(), |ms| format!("{ms:.1} ms"));
        let line = format!(
            "[{}] {} reached {} ({rtt}) {}",
            r.phase,
            r.client,
            r.pop.as_deref().unwrap_or("nothing"),
            r.reason.split(';').next().unwrap_or("")
        );
        svg.text((24.0, y), Anchor::Start, FONT, false, &clip(&line, 100));
        y += 18.0;
    }
    svg.close();
    if let Some(c) = change {
        y = outcome(&mut svg, c, y + 10.0);
    }
    svg.finish(&format!("netlab anycast: {address}"), WIDTH, y + 16.0)
}

/// The links, each with its delay.
fn links(svg: &mut Svg, s: &Setup) {
    svg.open("links");
    for l in &s.links {
        let (Some(a), Some(b)) = (place(&l.a), place(&l.b)) else {
            continue;
        };
        svg.line(a, b, THIN);
        if l.delay_ms > 0 {
            // Beside the middle of the link, clear of a path drawn along it.
            let mid = ((a.0 + b.0) / 2.0 + 18.0, (a.1 + b.1) / 2.0 - 6.0);
            svg.text(mid, Anchor::Middle, 10.0, false, &format!("{} ms", l.delay_ms));
        }
    }
    svg.close();
}

/// The nodes, the changed PoP crossed out.
fn nodes(svg: &mut Svg, s: &Setup, change: Option<&PopChange>) {
    svg.open("nodes");
    for (name, (x, y)) in PLACES {
        svg.rect(
            (x - NODE_W / 2.0, y - NODE_H / 2.0),
            (NODE_W, NODE_H),
            ink::NOTE,
            Some(THIN),
        );
        svg.text((x, y + 4.0), Anchor::Middle, FONT, true, name);
        if s.pops.iter().any(|p| p == name) {
            svg.text((x, y + 28.0), Anchor::Middle, 10.0, false, &format!("AS{}", s.pop_as));
        }
    }
    svg.close();
    if let Some((c, (x, y))) = change.and_then(|c| Some((c, place(&c.pop)?))) {
        svg.open("changed");
        let (w, h) = (NODE_W / 2.0, NODE_H / 2.0);
        svg.line((x - w, y - h), (x + w, y + h), PATH);
        svg.line((x - w, y + h), (x + w, y - h), PATH);
        svg.text(
            (x, y + 42.0),
            Anchor::Middle,
            FONT,
            true,
            &format!("{} {}", c.pop, c.how),
        );
        svg.close();
    }
}

/// Each client's path to the PoP that answered it: client, transit, the neighbour its best
/// route came from, and the PoP when that neighbour was the other transit.
fn paths(svg: &mut Svg, reaches: &[&Reach], setup: Option<&Setup>) {
    svg.open("paths");
    for (i, r) in reaches.iter().enumerate().take(8) {
        let Some(pop) = &r.pop else { continue };
        let mut hops = vec![format!("c-{}", r.client), r.transit.clone()];
        if let Some(best) = r.candidates.iter().find(|c| c.best) {
            hops.push(best.from.clone());
        }
        let is_pop = |n: &str| setup.is_some_and(|s| s.pops.iter().any(|p| p == n));
        if hops.last().is_some_and(|h| !is_pop(h)) {
            hops.push(pop.clone());
        }
        let Some(points) = hops.iter().map(|h| place(h)).collect::<Option<Vec<_>>>() else {
            continue;
        };
        // Before and after side by side, a few pixels apart, so both stay visible.
        let after = r.phase != "baseline";
        let offset = if after { 5.0 } else { -5.0 } + (i % 2) as f64;
        let points: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x + offset, y + offset)).collect();
        svg.polyline(&points, if after { PATH_AFTER } else { PATH });
    }
    svg.close();
}

/// The change's figures under the picture: moves, downloads, resets, and the BGP messages.
fn outcome(svg: &mut Svg, c: &PopChange, mut y: f64) -> f64 {
    svg.open("change");
    svg.text((24.0, y), Anchor::Start, FONT, true, &format!("{} {}", c.pop, c.how));
    y += 18.0;
    for m in c.moves.iter().take(8) {
        let line = match (&m.after, m.converged_ms) {
            (Some(after), Some(ms)) => format!(
                "{}: {} → {after} in {ms:.0} ms, {} UDP queries unanswered",
                m.client,
                m.before.as_deref().unwrap_or("-"),
                m.unanswered
            ),
            _ => format!("{}: stayed on {}", m.client, m.before.as_deref().unwrap_or("-")),
        };
        svg.text((36.0, y), Anchor::Start, FONT, false, &clip(&line, 96));
        y += 18.0;
    }
    for d in c.downloads.iter().take(8) {
        let line = format!(
            "download {} ({} {}): {}, {} of {} bytes",
            d.client, d.steering, d.address, d.end, d.received_bytes, d.expected_bytes
        );
        svg.text((36.0, y), Anchor::Start, FONT, false, &clip(&line, 96));
        y += 18.0;
    }
    svg.close();
    if !c.bgp.is_empty() {
        y += 8.0;
        svg.open("bgp");
        svg.text(
            (24.0, y),
            Anchor::Start,
            FONT,
            true,
            "BGP after the change (KEEPALIVEs left out)",
        );
        y += 18.0;
        for m in c.bgp.iter().take(MAX_BGP) {
            let line = format!("{:>7.1} ms  {} → {}  {}", m.at_ms, m.from, m.to, m.info);
            svg.text((36.0, y), Anchor::Start, FONT, false, &clip(&line, 96));
            y += 18.0;
        }
        if c.bgp.len() > MAX_BGP {
            let more = format!("({} more not drawn)", c.bgp.len() - MAX_BGP);
            svg.text((36.0, y), Anchor::Start, FONT, false, &more);
            y += 18.0;
        }
        svg.close();
    }
    y
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::texts;
    use super::*;
    use crate::anycast::events::{BgpSeen, Candidate, LinkSeen, Move};
    use crate::trace::{Outcome, TraceBuilder};

    fn reach(phase: &str, client: &str, transit: &str, from: &str, pop: &str) -> Reach {
        Reach {
            phase: phase.into(),
            client: client.into(),
            pop: Some(pop.into()),
            rtt_ms: Some(10.0),
            served_by: Some(pop.into()),
            steered: None,
            transit: transit.into(),
            candidates: vec![Candidate {
                from: from.into(),
                as_path: vec![64500],
                local_pref: 200,
                med: None,
                best: true,
            }],
            reason: "via it".into(),
        }
    }

    #[test]
    fn the_paths_follow_each_clients_best_route_and_the_change_is_marked() {
        let mut b = TraceBuilder::new("anycast", "anycast");
        b.push(
            AnycastEvent::Setup(Setup {
                network: "n".into(),
                prefix: "203.0.113.0/24".into(),
                address: "203.0.113.1".into(),
                pop_as: 64500,
                pops: vec!["fra".into(), "iad".into(), "sin".into()],
                sessions: vec![],
                links: vec![
                    LinkSeen {
                        a: "fra".into(),
                        b: "ta".into(),
                        delay_ms: 5,
                    },
                    LinkSeen {
                        a: "c-eu".into(),
                        b: "ta".into(),
                        delay_ms: 0,
                    },
                    LinkSeen {
                        a: "mars".into(),
                        b: "ta".into(),
                        delay_ms: 9,
                    },
                ],
                converged_ms: 900.0,
            }),
            vec![],
        );
        b.push(AnycastEvent::Reach(reach("baseline", "eu", "ta", "fra", "fra")), vec![]);
        b.push(
            AnycastEvent::Change(PopChange {
                pop: "fra".into(),
                how: "withdrawn".into(),
                moves: vec![Move {
                    client: "eu".into(),
                    before: Some("fra".into()),
                    after: Some("sin".into()),
                    converged_ms: Some(12.0),
                    unanswered: 0,
                }],
                downloads: vec![],
                resets_sent: Default::default(),
                bgp: vec![BgpSeen {
                    at_ms: 2.5,
                    from: "fra".into(),
                    to: "ta".into(),
                    info: "BGP UPDATE withdraws 203.0.113.0/24 <&>".into(),
                }],
            }),
            vec![],
        );
        // Through the other transit: c-eu, ta, tb, then sin, the PoP that answered.
        b.push(
            AnycastEvent::Reach(reach("after withdrawing fra", "eu", "ta", "tb", "sin")),
            vec![],
        );
        let svg = picture(&b.finish(Outcome::Ok));
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        assert!(svg.contains("points=\"145,65 145,165 65,285\""), "{svg}");
        assert!(svg.contains("points=\"156,76 156,176 616,176 696,296\""), "{svg}");
        let t = texts(&svg);
        assert!(t.iter().any(|s| s == "5 ms"), "{t:?}");
        assert!(!t.iter().any(|s| s == "9 ms"), "a node of no place is not drawn: {t:?}");
        assert!(t.iter().any(|s| s == "fra withdrawn"), "{t:?}");
        assert!(t.iter().any(|s| s.contains("eu: fra → sin in 12 ms")), "{t:?}");
        assert!(svg.contains("withdraws 203.0.113.0/24 &lt;&amp;&gt;"), "{svg}");
    }

    #[test]
    fn an_empty_trace_still_draws_a_page() {
        let svg = picture(&TraceBuilder::new("anycast", "anycast").finish(Outcome::Ok));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }
}
