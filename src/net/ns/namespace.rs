//! An anonymous network namespace, held by nothing but a file descriptor.
//!
//! A network namespace is a separate copy of the kernel's network stack: its own interfaces,
//! addresses, routes, sockets and sysctls (network_namespaces(7)). `ip netns add` gives one a
//! name by bind-mounting it under `/run/netns`, which keeps it alive after its creator exits;
//! netlab never does. Its namespaces live as long as something refers to them (this
//! [`Namespace`]'s descriptor, a socket created inside, a child process running inside) and so
//! end with the process, even after `kill -9`.
//!
//! The namespace is a property of each *thread*: `unshare(CLONE_NEWNET)` and `setns` move only
//! the calling thread. So netlab never moves its own threads; it does the work on a short-lived
//! thread that enters the namespace ([`Namespace::run`]). A socket belongs forever to the
//! namespace it was created in, so a socket made there can then be used from any thread, e.g.
//! handed to `tokio::net::TcpListener::from_std`.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;

use crate::error::Error;

use super::{ifctl, last_sys_error, sys_error};

/// A network namespace of netlab's own, alive while this value (or a socket or child process
/// inside it) is.
#[derive(Debug)]
pub struct Namespace {
    fd: Arc<OwnedFd>,
}

impl Namespace {
    /// Creates a namespace with its loopback interface up (a new namespace starts with `lo`
    /// down and nothing else).
    pub fn create() -> Result<Namespace, Error> {
        let fd = on_thread("nl-netns-new", || {
            // SAFETY: unshare(2) with a constant flag; it only affects this short-lived thread.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                return Err(last_sys_error("unshare(CLONE_NEWNET)"));
            }
            // /proc/thread-self, not /proc/self: the new namespace is this thread's only.
            let ns =
                File::open("/proc/thread-self/ns/net").map_err(|e| sys_error("open(/proc/thread-self/ns/net)", e))?;
            ifctl::set_up("lo")?;
            Ok(OwnedFd::from(ns))
        })??;
        Ok(Namespace { fd: Arc::new(fd) })
    }

    /// The namespace the calling thread is in now, to come back to after [`Namespace::enter`].
    pub fn current() -> Result<Namespace, Error> {
        let ns = File::open("/proc/thread-self/ns/net").map_err(|e| sys_error("open(/proc/thread-self/ns/net)", e))?;
        Ok(Namespace {
            fd: Arc::new(OwnedFd::from(ns)),
        })
    }

    /// Where another process finds this namespace while netlab holds it: `/proc/PID/fd/N`, the
    /// descriptor itself. Opening that path opens the namespace (nsfs), so
    /// `nsenter --net=/proc/PID/fd/N CMD` runs CMD inside, for root or the same user (the
    /// kernel's ptrace access check for `/proc/PID/fd`). It names the namespace for as long as
    /// the process lives, whichever thread is where; `/proc/PID/ns/net` would name the main
    /// thread's namespace instead.
    pub fn proc_path(&self) -> std::path::PathBuf {
        // SAFETY: getpid(2) cannot fail.
        let pid = unsafe { libc::getpid() };
        format!("/proc/{pid}/fd/{}", self.fd.as_raw_fd()).into()
    }

    /// Moves the calling thread into the namespace: the sockets it creates from now on belong
    /// here, and so do the threads it spawns (a runtime's workers, for instance).
    pub fn enter(&self) -> Result<(), Error> {
        // SAFETY: the descriptor is a namespace kept open by `self`; setns only changes this thread.
        if unsafe { libc::setns(self.fd.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(last_sys_error("setns(CLONE_NEWNET)"));
        }
        Ok(())
    }

    /// Runs `f` on a thread inside the namespace and returns its result. Sockets, TUN devices
    /// and `/proc/sys/net` files opened by `f` belong to this namespace. A panic in `f` is
    /// resumed in the caller.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
        let fd = self.fd.as_raw_fd();
        on_thread("nl-netns-run", move || {
            // SAFETY: fd is a namespace descriptor kept open by `self` for this call's duration.
            if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
                return Err(last_sys_error("setns(CLONE_NEWNET)"));
            }
            Ok(f())
        })?
    }

    /// A tokio runtime whose `workers` threads (named `name`) live in the namespace and may
    /// serve on the addresses that exist only there: what a server started on it binds, and
    /// every task it runs, is inside.
    pub fn runtime(&self, name: &str, workers: usize) -> Result<tokio::runtime::Runtime, Error> {
        let ns = Namespace {
            fd: Arc::clone(&self.fd),
        };
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .thread_name(name)
            .on_thread_start(move || {
                if ns.enter().is_ok() {
                    crate::net::socket::serving_in_netlab_namespace();
                }
            })
            .build()
            .map_err(|e| Error::io(format!("tokio runtime ({name})"), e))
    }

    /// A command whose process runs inside the namespace (for `ip`, and later daemons such as
    /// BIRD). The child is killed (SIGKILL) when the *thread* that spawns it ends, which is the
    /// process's end when spawned from `main` or another long-lived thread: spawn it there, not
    /// from a pool thread that may retire (tokio's `spawn_blocking`).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let fd = Arc::clone(&self.fd);
        // SAFETY: getpid(2) cannot fail.
        let parent = unsafe { libc::getpid() };
        let mut command = Command::new(program);
        // SAFETY: the hook runs in the forked child before exec and only makes system calls
        // (async-signal-safe): prctl, getppid, setns; it allocates nothing. `fd` is the Command's
        // own reference to the namespace, so the descriptor is open in the child.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl: then no signal will come.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                if libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }
}

/// Runs `f` on a fresh thread named `name` and waits for it; resumes its panic, if any.
fn on_thread<T: Send>(name: &str, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(scope, f)
            .map_err(|e| sys_error(format!("spawn thread {name}"), e))?;
        match handle.join() {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
