//! `--svg FILE` and `netlab render TRACE.json --svg FILE`: the pictures of the recorded traces
//! in `tests/fixtures/traces/` rendered to pixels (resvg), one snapshotted whole, and the
//! command line: who may draw, where the file goes, and what a bad trace file gets.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use netlab::render::svg;
use netlab::trace::Trace;
use resvg::{tiny_skia, usvg};

fn fixture(name: &str) -> Trace {
    let path = common::repo().join(format!("tests/fixtures/traces/{name}.json"));
    netlab::app::read_trace(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn picture(name: &str) -> String {
    svg::draw(&fixture(name)).unwrap_or_else(|| panic!("{name} has no picture"))
}

/// The picture rendered to pixels at its own size.
fn pixels(svg: &str) -> (tiny_skia::Pixmap, (f32, f32)) {
    let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
    let size = tree.size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width().ceil() as u32, size.height().ceil() as u32).unwrap();
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    (pixmap, (size.width(), size.height()))
}

/// The viewBox of the root element: `0 0 W H`.
fn view_box(svg: &str) -> (f32, f32) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let vb: Vec<f32> = doc
        .root_element()
        .attribute("viewBox")
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(vb[..2], [0.0, 0.0]);
    (vb[2], vb[3])
}

/// Whether the pixel at (x, y) is dark ink (a line, an arrow, a letter).
fn dark(p: &tiny_skia::Pixmap, x: f32, y: f32) -> bool {
    let Some(px) = p.pixel(x.round() as u32, y.round() as u32) else {
        return false;
    };
    px.alpha() > 200 && u32::from(px.red()) + u32::from(px.green()) + u32::from(px.blue()) < 3 * 110
}

/// The first `<line>` inside an element of `class`: its two ends.
fn first_line_of(svg: &str, class: &str) -> ((f32, f32), (f32, f32)) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let g = doc
        .descendants()
        .find(|n| n.attribute("class") == Some(class))
        .unwrap_or_else(|| panic!("no {class}"));
    let line = g.descendants().find(|n| n.has_tag_name("line")).unwrap();
    let f = |a: &str| line.attribute(a).unwrap().parse::<f32>().unwrap();
    ((f("x1"), f("y1")), (f("x2"), f("y2")))
}

#[test]
fn every_picture_renders_to_pixels_of_its_size_with_ink_on_its_lines() {
    for (name, class) in [
        ("dns-walk", "arrow"),
        ("tls-handshake", "arrow"),
        ("http-compare", "arrow"),
        ("http-h2-requests-3", "first-byte"),
        ("tcp-discard", "axis"),
    ] {
        let svg = picture(name);
        assert!(svg.starts_with("<svg"), "{name}");
        let (pixmap, size) = pixels(&svg);
        assert_eq!(size, view_box(&svg), "{name}: the rendered size is the viewBox");
        assert_eq!((pixmap.width() as f32, pixmap.height() as f32), size, "{name}");
        let pixels = pixmap.pixels();
        let white = pixels
            .iter()
            .filter(|p| p.red() == 255 && p.green() == 255 && p.blue() == 255)
            .count();
        assert!(white > pixels.len() / 2, "{name}: mostly a white page");
        assert!(pixels.iter().any(|p| p.red() < 60), "{name}: not all white");
        // The middle of the first line of its kind is inked.
        let ((x1, y1), (x2, y2)) = first_line_of(&svg, class);
        assert!(
            dark(&pixmap, (x1 + x2) / 2.0, (y1 + y2) / 2.0),
            "{name}: no ink on the first {class}"
        );
    }
}

#[test]
fn the_tls_ladder_is_its_snapshot() {
    insta::assert_snapshot!("tls-handshake.svg", picture("tls-handshake"));
}

#[test]
fn pictures_are_the_same_every_time() {
    for name in ["dns-walk", "http-compare", "tcp-discard"] {
        assert_eq!(picture(name), picture(name), "{name}");
    }
}

#[test]
fn a_trace_without_a_picture_has_none() {
    assert!(svg::draw(&fixture("cidr-info")).is_none());
    assert!(svg::draw(&fixture("pcap-dns-walk")).is_none());
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn dns_on_the_sandbox_draws_its_walk_into_a_0644_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.svg");
    let run = common::netlab()
        .args(["dns", "www.example.com", "--sandbox", "--svg"])
        .arg(&out)
        .env("NETLAB_HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    // The text trace is printed as without --svg.
    assert!(String::from_utf8_lossy(&run.stdout).contains("www.example.com"));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("referral to com."));
    assert_eq!(mode(&out), 0o644);
}

#[test]
fn render_draws_a_saved_trace() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg");
    common::netlab()
        .args(["render", "tests/fixtures/traces/tls-handshake.json", "--svg"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("ClientHello"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), picture("tls-handshake"));
}

#[test]
fn commands_that_draw_nothing_refuse_svg_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.svg");
    for args in [
        &["cidr", "info", "10.0.0.0/8"][..],
        &["render", "tests/fixtures/traces/cidr-info.json"],
        &["anycast", "up"],
    ] {
        let run = common::netlab().args(args).arg("--svg").arg(&out).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("dns, tls, http, tcp, ddos and anycast"), "{err}");
        assert!(run.stdout.is_empty(), "{args:?}: nothing printed");
        assert!(!out.exists());
    }
}

#[test]
fn a_missing_folder_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/x.svg");
    let run = common::netlab()
        .args(["render", "tests/fixtures/traces/dns-walk.json", "--svg"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("does not exist"));
    assert!(run.stdout.is_empty());
}

#[test]
fn a_file_that_is_not_a_trace_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("garbage.json", &b"{\"schema\": \"netlab.dns/1\", garbage"[..]),
        ("binary.json", &[0xff, 0x00, 0x9f, 0x12][..]),
        ("other.json", br#"{"schema": "netlab.dns/1", "command": "dns walk", "events": [{"type": "dns.query"}], "outcome": {"status": "ok"}}"#),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let run = common::netlab()
            .arg("render")
            .arg(&path)
            .arg("--svg")
            .arg(dir.path().join("x.svg"))
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn http_with_create_dirs_makes_the_folder_and_draws_the_waterfall() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new/dir/fetch.svg");
    let args = [
        "http",
        "https://www.example.com/",
        "--sandbox",
        "--h2",
        "--requests",
        "2",
        "--svg",
    ];
    common::netlab().args(args).arg(&out).assert().code(2);
    assert!(!out.exists());
    common::netlab()
        .args(args)
        .arg(&out)
        .arg("--create-dirs")
        .env("NETLAB_HOME", dir.path())
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let bars = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .count();
    assert_eq!(bars, 2);
}

proptest::proptest! {
    /// Whatever a server is called and whatever it answers, the picture is well-formed XML
    /// that says it.
    #[test]
    fn any_name_makes_a_well_formed_picture(name in "\\PC{0,40}", why in ".{0,200}") {
        let mut t = fixture("dns-walk");
        for e in &mut t.events {
            if let netlab::trace::EventKind::Dns(netlab::dns::events::DnsEvent::Response(r)) = &mut e.kind {
                r.server.name = name.clone();
                r.meaning = netlab::dns::events::Meaning::Unusable { why: why.clone() };
            }
        }
        let svg = svg::draw(&t).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        proptest::prop_assert!(doc.descendants().any(|n| n.has_tag_name("text")));
    }
}
