//! curl's `-w`/`--write-out` on `netlab http`, against the sandbox over HTTP/2 and HTTP/3: the
//! timers parse and follow the fetch's order, the version and the sizes are the trace's.

mod common;
use common::{netlab, of_type, trace};

const FORMAT: &str = "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total} \
%{http_version} %{size_download} %{http_code} %{num_connects} %{speed_download} %{url_effective}\\n";

/// `netlab http --sandbox URL ARGS -w FORMAT`: the trace's text and the -w lines after it.
fn write_out(url: &str, args: &[&str]) -> (String, Vec<Vec<String>>) {
    let out = netlab()
        .args(["http", "--sandbox", url, "--no-notes", "-w", FORMAT])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Vec<String>> = stdout
        .lines()
        .filter(|l| l.ends_with(url))
        .map(|l| l.split(' ').map(str::to_string).collect())
        .filter(|w: &Vec<String>| w.len() == 11)
        .collect();
    (stdout, lines)
}

/// The five timers of one -w line, checked to be curl's six-decimal seconds.
fn timers(line: &[String]) -> Vec<f64> {
    line[..5]
        .iter()
        .map(|t| {
            let (_, decimals) = t.split_once('.').unwrap_or_else(|| panic!("{t}"));
            assert_eq!(decimals.len(), 6, "{t}");
            t.parse().unwrap()
        })
        .collect()
}

#[test]
fn timers_are_ordered_and_sizes_match_the_body_over_h2_and_h3() {
    let url = "https://www.example.com/bytes/1500";
    for (flag, version) in [("--h2", "2"), ("--h3", "3"), ("--http3", "3")] {
        let (stdout, lines) = write_out(url, &[flag]);
        assert_eq!(lines.len(), 1, "{flag}: {stdout}");
        let line = &lines[0];
        assert!(
            stdout.ends_with(&format!("{}\n", line.join(" "))),
            "-w comes last: {stdout}"
        );
        let t = timers(line);
        assert!(t.windows(2).all(|w| w[0] <= w[1]), "{flag}: {t:?} not in order");
        assert!(t[0] > 0.0 && t[4] > t[0], "{flag}: {t:?}");
        assert_eq!(line[5], version, "{flag}");
        assert_eq!(line[6], "1500", "{flag}: size_download is the body's length");
        assert_eq!((line[7].as_str(), line[8].as_str()), ("200", "1"), "{flag}");
        let speed: f64 = line[9].parse().unwrap();
        assert!(
            (speed - 1500.0 / t[4]).abs() <= 1500.0 / t[4] * 0.01 + 1.0,
            "{flag}: {speed} vs {t:?}"
        );
    }
}

#[test]
fn size_download_is_the_traces_body_count() {
    let url = "https://www.example.com/";
    let (stdout, lines) = write_out(url, &["--h3"]);
    let (v, code) = trace(&["http", "--sandbox", url, "--h3"]);
    assert_eq!(code, 0, "{v}");
    let body = of_type(&v, "http.summary")[0]["body_bytes"].as_u64().unwrap();
    assert!(body > 0);
    assert_eq!(lines[0][6], body.to_string(), "{stdout}");
}

#[test]
fn compare_writes_one_line_per_protocol_in_the_traces_order() {
    let url = "https://www.example.com/bytes/10";
    let (stdout, lines) = write_out(url, &["--compare"]);
    let versions: Vec<&str> = lines.iter().map(|l| l[5].as_str()).collect();
    assert_eq!(versions, ["2", "3"], "{stdout}");
}

#[test]
fn an_unknown_variable_is_one_line_listing_the_known_ones() {
    let out = netlab()
        .args([
            "http",
            "--sandbox",
            "https://www.example.com/",
            "-w",
            "%{time_redirect}",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("'%{time_redirect}'") && err.contains("time_starttransfer"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    let json = netlab()
        .args([
            "--json",
            "http",
            "--sandbox",
            "https://www.example.com/",
            "-w",
            "%{time_total}",
        ])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(2));
}

#[test]
fn a_body_to_dev_null_leaves_it_a_device() {
    let url = "https://www.example.com/bytes/100";
    let (stdout, lines) = write_out(url, &["-o", "/dev/null", "-s"]);
    assert_eq!(lines[0][6], "100", "{stdout}");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
}

#[test]
fn verbose_writes_the_header_lines_as_curl_does_on_standard_error() {
    for (flag, version) in [("--h2", "HTTP/2"), ("--h3", "HTTP/3")] {
        let url = "https://www.example.com/headers";
        let out = netlab()
            .args(["http", "--sandbox", url, flag, "-v", "-H", "X-Habit: curl"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let err = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines[0], format!("> GET /headers {version}"), "{err}");
        assert_eq!(lines[1], "> host: www.example.com", "{err}");
        assert!(lines.contains(&"> x-habit: curl"), "{err}");
        assert!(lines.contains(&format!("< {version} 200").as_str()), "{err}");
        assert!(lines.iter().any(|l| l.starts_with("< content-type: ")), "{err}");
        assert!(lines.iter().all(|l| l.starts_with('>') || l.starts_with('<')), "{err}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains("> GET"), "the trace keeps standard output: {stdout}");
    }
}
