//! `netlab ratelimit`: the traffic (generated, or read from an access log), the policy and
//! the algorithms to the replay engine, its trace to the printer.

use super::output::Printer;
use super::Io;
use crate::cli::RatelimitArgs;
use crate::error::{Error, Result};
use crate::ratelimit::algorithms::{Algorithm, Policy};
use crate::ratelimit::traffic::{self, Mix};
use crate::ratelimit::Options;

pub(super) fn run_ratelimit(a: &RatelimitArgs, printer: &Printer, io: &mut Io) -> Result<i32> {
    let waiting = super::waiting::Waiting::start("replaying".to_string(), None);
    if a.log.as_deref() == Some(std::path::Path::new("-")) {
        super::waiting::reading_stdin_hint("access log lines", &mut *io.stderr);
    }
    let trace = ratelimit_trace(a, &mut *io.stdin)?;
    drop(waiting);
    printer.document(io.stdout, &trace)?;
    Ok(trace.outcome.exit_code())
}

/// The replay's trace (for the command and for lab steps).
pub(super) fn ratelimit_trace(a: &RatelimitArgs, stdin: &mut dyn std::io::BufRead) -> Result<crate::trace::Trace> {
    let algorithms = if a.algorithms.is_empty() {
        Algorithm::ALL.to_vec()
    } else {
        a.algorithms.iter().map(|n| algorithm(n)).collect::<Result<Vec<_>>>()?
    };
    if !(a.rate.is_finite() && a.rate > 0.0 && a.rate <= 1e6) {
        return Err(Error::usage(
            format!("--rate {}", a.rate),
            "is not a rate above 0 and at most 1000000 per second",
            "write e.g. --rate 5",
        ));
    }
    let (source, requests) = match &a.log {
        Some(path) => {
            let text = if path == std::path::Path::new("-") {
                let mut text = String::new();
                stdin.read_to_string(&mut text).map_err(|e| Error::io(path, e))?;
                text
            } else {
                std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?
            };
            let requests = traffic::read_log(&text).map_err(|e| {
                Error::usage(
                    path.display().to_string(),
                    e.to_string(),
                    "give an access log in the Common or Combined Log Format",
                )
            })?;
            (path.display().to_string(), requests)
        }
        None => {
            let mix = Mix {
                clients: a.clients,
                seconds: a.seconds,
                mean_rate: a.rate,
                seed: a.seed,
            };
            let expected = f64::from(a.clients) * f64::from(a.seconds) * a.rate;
            if expected > traffic::MAX_REQUESTS as f64 * 4.0 {
                return Err(Error::usage(
                    "--clients x --seconds x --rate",
                    format!("asks for about {expected:.0} requests"),
                    format!(
                        "keep it under {} (the replay holds every request in memory)",
                        traffic::MAX_REQUESTS
                    ),
                ));
            }
            (
                format!(
                    "generated: {} clients, {} s, {} req/s each on average, seed {}",
                    a.clients, a.seconds, a.rate, a.seed
                ),
                traffic::generate(mix),
            )
        }
    };
    let options = Options {
        source,
        requests,
        policy: Policy {
            limit: a.limit.0,
            window_ns: a.limit.1,
        },
        algorithms,
        distributed: a.nodes.map(|n| (n, a.delay)),
    };
    Ok(crate::ratelimit::run(&options))
}

/// The algorithm `--algorithm NAME` names.
pub(super) fn algorithm(name: &str) -> Result<Algorithm> {
    Algorithm::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        Error::usage(
            format!("--algorithm {name}"),
            "is not an algorithm",
            format!("use one of {}", names.join(", ")),
        )
    })
}
