//! `netlab tcp HOST:PORT`: turns the arguments into the experiment's options (on the sandbox's
//! discard service, 4 MiB to send by default) and runs it on the command's network.

use std::net::SocketAddr;
use std::time::Duration;

use super::output::Printer;
use super::Io;
use crate::cli::TcpArgs;
use crate::error::Result;
use crate::net::Place;
use crate::packet::experiment::TcpOptions;
use crate::trace::Trace;

pub(super) fn run_tcp(a: &TcpArgs, place: &Place, printer: &Printer, io: &mut Io) -> Result<i32> {
    let trace = tcp_trace(a, place)?;
    printer.document(io.stdout, &trace)?;
    Ok(trace.outcome.exit_code())
}

/// Connects, transfers, closes; the trace of it.
pub(super) fn tcp_trace(a: &TcpArgs, place: &Place) -> Result<Trace> {
    let (host, port) = super::tls::split_target(&a.target)?;
    let discard = place.sandbox && port == crate::sandbox::discard::PORT;
    let send = a.send.unwrap_or(if discard { 4 << 20 } else { 0 });
    let timeout = Duration::from_millis(a.timeout.max(1));
    if let Some(cc) = &a.cc {
        cc.check_offered()?;
    }
    super::network::on_network(place, |net| async move {
        let ip = net.resolve_host(&host).await?;
        let options = TcpOptions {
            address: SocketAddr::new(ip, port),
            send,
            timeout,
            cc: a.cc.clone(),
        };
        // The sandbox runs on the runtime's worker threads while this one drives a plain socket.
        crate::packet::experiment::run(&options, &net)
    })
}
