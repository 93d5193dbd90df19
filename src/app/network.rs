//! Where the sandbox is decided: the one place that turns a [`Place`] into the [`Network`] a
//! command's engine runs on, starting the sandbox's servers when the command runs against it.

use std::future::Future;

use crate::error::{Error, Result};
use crate::link::events::LinkEvent;
use crate::net::ns::{LinkPcap, Namespace};
use crate::net::{Network, Place};
use crate::sandbox::linked::Linked;
use crate::sandbox::Sandbox;
use crate::trace::{EventKind, Trace};

/// The network for `place`: the sandbox (started now, stopped when the network is dropped), or
/// the internet behind the offline guard.
pub(super) async fn open(place: &Place) -> Result<Network> {
    if place.sandbox {
        Ok(Sandbox::start().await?.into_network())
    } else {
        Ok(Network::internet(place.offline))
    }
}

/// What a command produced on the network, to which the emulated link's log is added.
pub(super) trait WithLinkLog {
    fn add_link_log(&mut self, events: Vec<LinkEvent>);
}

impl WithLinkLog for Trace {
    fn add_link_log(&mut self, events: Vec<LinkEvent>) {
        self.append(events.into_iter().map(EventKind::Link));
    }
}

impl<B> WithLinkLog for (Trace, B) {
    fn add_link_log(&mut self, events: Vec<LinkEvent>) {
        self.0.add_link_log(events);
    }
}

/// Runs `engine` on the network for `place`, on the async runtime network commands share;
/// behind an emulated link, on threads inside the client's namespace, with the link's log
/// added to what the engine returns.
pub(super) fn on_network<T, F, Fut>(place: &Place, engine: F) -> Result<T>
where
    T: WithLinkLog,
    F: FnOnce(Network) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let _waiting = super::waiting::Waiting::start("waiting on the network".to_string(), None);
    let Some(spec) = &place.link else {
        return super::runtime()?.block_on(async {
            let net = open(place).await?;
            engine(net).await
        });
    };
    let pcap = place.link_pcap.as_deref().map(LinkPcap::create).transpose()?;
    let (linked, net) = Linked::start(spec, pcap)?;
    let home = Namespace::current()?;
    linked.client().enter()?;
    // From here on, this thread and the runtime's (they inherit it) open sockets only in the
    // client's namespace, whose one way out is the link.
    let result = super::runtime().and_then(|runtime| {
        let out = runtime.block_on(engine(net));
        // The link is stopped and its capture written also when the command failed.
        let log = linked.finish();
        let mut out = out?;
        out.add_link_log(log?);
        Ok(out)
    });
    home.enter()?;
    result
}

/// Commands the sandbox means nothing to refuse `--sandbox` instead of ignoring it.
pub(super) fn refuse_sandbox(place: &Place, command: &str, why: &str) -> Result<()> {
    if place.sandbox {
        let flag = if place.link.is_some() { "--link" } else { "--sandbox" };
        return Err(Error::usage(format!("{command} {flag}"), why, format!("drop {flag}")));
    }
    Ok(())
}
