//! Where the sandbox is decided: the one place that turns a [`Place`] into the [`Network`] a
//! command's engine runs on, starting the sandbox's servers when the command runs against it.

use std::future::Future;

use crate::error::{Error, Result};
use crate::net::{Network, Place};
use crate::sandbox::Sandbox;

/// The network for `place`: the sandbox (started now, stopped when the network is dropped), or
/// the internet behind the offline guard.
pub(super) async fn open(place: &Place) -> Result<Network> {
    if place.sandbox {
        Ok(Sandbox::start().await?.into_network())
    } else {
        Ok(Network::internet(place.offline))
    }
}

/// Runs `engine` on the network for `place`, on the async runtime network commands share.
pub(super) fn on_network<T, F, Fut>(place: &Place, engine: F) -> Result<T>
where
    F: FnOnce(Network) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    super::runtime()?.block_on(async {
        let net = open(place).await?;
        engine(net).await
    })
}

/// Commands the sandbox means nothing to refuse `--sandbox` instead of ignoring it.
pub(super) fn refuse_sandbox(place: &Place, command: &str, why: &str) -> Result<()> {
    if place.sandbox {
        return Err(Error::usage(format!("{command} --sandbox"), why, "drop --sandbox"));
    }
    Ok(())
}
