//! Every socket netlab opens is made here. Outgoing sockets take a [`Route`], which only
//! [`super::Network::route`] can make, so none can reach an address the guard refused;
//! listening sockets are for loopback only (the sandbox's servers, `tls serve`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::{is_loopback, Route};

/// The unspecified address of the route's family, any port: the OS picks a random source port
/// (RFC 5452 §9.2 wants that for DNS).
fn any_local(route: &Route) -> SocketAddr {
    match route.via().ip() {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    }
}

/// A TCP connection along `route` (the caller bounds the wait).
pub async fn tcp_connect(route: &Route) -> io::Result<tokio::net::TcpStream> {
    tokio::net::TcpStream::connect(route.via()).await
}

/// A TCP connection along `route` from the loopback address `local` (any port): how one
/// machine plays many clients of a loopback server, each with its own address in 127.0.0.0/8
/// (`ddos http`'s bots and users). Any other source address is refused.
pub async fn tcp_connect_from(route: &Route, local: IpAddr) -> io::Result<tokio::net::TcpStream> {
    if !local.is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{local} is not loopback: netlab plays clients from loopback addresses only"),
        ));
    }
    let socket = match local {
        IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(route.via()).await
}

/// A blocking TCP connection along `route`, for engines that drive a plain socket (`netlab tcp`
/// reads TCP_INFO between writes).
pub fn tcp_connect_blocking(route: &Route, timeout: Duration) -> io::Result<std::net::TcpStream> {
    std::net::TcpStream::connect_timeout(&route.via(), timeout)
}

/// A UDP socket connected to `route`'s server: the kernel delivers only datagrams from that
/// address and port, and reports an ICMP port unreachable as ECONNREFUSED on the next send or
/// receive (RFC 1122 §4.1.3.3: UDP passes ICMP errors up), so a dead port fails at once.
pub async fn udp_connected(route: &Route) -> io::Result<tokio::net::UdpSocket> {
    let socket = tokio::net::UdpSocket::bind(any_local(route)).await?;
    socket.connect(route.via()).await?;
    Ok(socket)
}

/// A QUIC client endpoint (one UDP socket) for connections along `route`.
pub fn quic_client_for(route: &Route) -> io::Result<quinn::Endpoint> {
    quinn::Endpoint::client(any_local(route))
}

thread_local! {
    /// Set on the threads that serve inside netlab's own servers namespace (an emulated link),
    /// where the sandbox's addresses are local and reachable only through netlab's link.
    static IN_SERVERS_NAMESPACE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the calling thread as one living in netlab's servers namespace, so it may listen on
/// the sandbox's own addresses there.
pub fn serving_in_netlab_namespace() {
    IN_SERVERS_NAMESPACE.set(true);
}

/// Refuses to listen anywhere but on loopback (or, inside netlab's servers namespace, on the
/// addresses that exist only there): netlab's servers are for this machine only.
fn loopback_only(addr: SocketAddr) -> io::Result<()> {
    if is_loopback(addr.ip()) || IN_SERVERS_NAMESPACE.get() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{addr} is not loopback: netlab serves on loopback only"),
        ))
    }
}

/// A TCP listener on a loopback address.
pub async fn tcp_listener(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    loopback_only(addr)?;
    tokio::net::TcpListener::bind(addr).await
}

/// What a serving UDP socket asks for its receive buffer (the kernel caps it at
/// `net.core.rmem_max`): room for a burst of queries while the server is busy, where Linux's
/// default of 208 KiB drops some at 20,000 queries a second (bench/sandbox-load.sh).
const SERVER_RECEIVE_BUFFER: libc::c_int = 2 << 20;

/// A UDP socket serving on a loopback address.
pub async fn udp_server(addr: SocketAddr) -> io::Result<tokio::net::UdpSocket> {
    loopback_only(addr)?;
    let socket = tokio::net::UdpSocket::bind(addr).await?;
    // A refusal leaves the default buffer, which works, only with less room.
    let _ = set_option(&socket, libc::SOL_SOCKET, libc::SO_RCVBUF, &SERVER_RECEIVE_BUFFER);
    Ok(socket)
}

/// setsockopt(2): sets option `name` of `level` on `socket` to `value`.
pub(crate) fn set_option<T>(
    socket: &impl std::os::fd::AsRawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: setsockopt(2) with a pointer to a live `T` and its size.
    let done = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if done < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A QUIC server endpoint on a loopback address.
pub fn quic_server(config: quinn::ServerConfig, addr: SocketAddr) -> io::Result<quinn::Endpoint> {
    loopback_only(addr)?;
    quinn::Endpoint::server(config, addr)
}
