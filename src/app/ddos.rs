//! `netlab ddos`: the arguments to the flood's options, the trace to the printer.

use super::output::Printer;
use super::Io;
use crate::cli::{DdosCommand, DdosFilterArgs, DdosHttpArgs, DdosReflectArgs, DdosSynArgs};
use crate::ddos::events::{Cookies, Depth, Mitigation};
use crate::ddos::{self, FilterOptions, ReflectOptions, SynOptions, WebOptions};
use crate::error::Result;
use crate::sandbox::rrl::RrlPolicy;
use crate::trace::Trace;

pub(super) fn run_ddos(cmd: &DdosCommand, printer: &Printer, io: &mut Io) -> Result<i32> {
    let place = match cmd {
        DdosCommand::Http(_) => "flooding netlab's edge on loopback",
        _ => "flooding inside netlab's namespaces",
    };
    let waiting = super::waiting::Waiting::start(place.to_string(), None);
    let trace = match cmd {
        DdosCommand::Syn(a) => ddos_trace(a)?,
        DdosCommand::Filter(a) => filter_trace(a)?,
        DdosCommand::Reflect(a) => reflect_trace(a)?,
        DdosCommand::Http(a) => http_trace(a)?,
    };
    drop(waiting);
    printer.document(io.stdout, &trace)?;
    Ok(trace.outcome.exit_code())
}

/// The flood's trace (for the command and for lab steps).
pub(super) fn ddos_trace(a: &DdosSynArgs) -> Result<Trace> {
    ddos::check_target(&a.target)?;
    let cookies = match a.cookies.as_str() {
        "off" => vec![Cookies::Off],
        "on" => vec![Cookies::On],
        "always" => vec![Cookies::Always],
        _ => vec![Cookies::Off, Cookies::On],
    };
    ddos::syn_flood(&SynOptions {
        cookies,
        backlog: a.backlog,
        max_syn_backlog: a.max_syn_backlog,
        packets: a.packets,
        pps: a.pps,
    })
}

/// The filtering comparison's trace (for the command and for lab steps).
pub(super) fn filter_trace(a: &DdosFilterArgs) -> Result<Trace> {
    ddos::check_filter_target(&a.target)?;
    let depths = a
        .depth
        .iter()
        .map(|d| match d.as_str() {
            "app" => Depth::App,
            "nftables" => Depth::Nftables,
            _ => Depth::Xdp,
        })
        .collect();
    ddos::filter_flood(&FilterOptions {
        depths,
        packets: a.packets,
        per_source: a.limit,
        burst: a.burst,
    })
}

/// The reflection experiment's trace (for the command and for lab steps).
pub(super) fn reflect_trace(a: &DdosReflectArgs) -> Result<Trace> {
    ddos::check_victim(&a.victim)?;
    ddos::reflect_flood(&ReflectOptions {
        queries: a.queries,
        qps: a.qps,
        rrl: RrlPolicy {
            responses_per_second: a.rrl,
            slip: a.slip,
        },
    })
}

/// The layer 7 flood's trace (for the command and for lab steps).
pub(super) fn http_trace(a: &DdosHttpArgs) -> Result<Trace> {
    let phases = a
        .defence
        .iter()
        .map(|d| match d.as_str() {
            "none" => Mitigation::None,
            "limit" => Mitigation::Limit,
            _ => Mitigation::Challenge,
        })
        .collect();
    ddos::web_flood(&WebOptions {
        phases,
        bots: a.bots,
        rate: a.rate,
        seconds: a.seconds,
        per_client: a.limit,
    })
}
