//! May this process create network namespaces, and the unprivileged way to let it.
//!
//! Creating a network namespace (`unshare(CLONE_NEWNET)`) and entering one (`setns`) need
//! `CAP_SYS_ADMIN`; creating TUN devices, addresses and routes in it needs `CAP_NET_ADMIN`.
//! Both are checked in the *effective* set of `/proc/self/status` (capabilities(7)), so the
//! check is right for root, for a binary given file capabilities, and inside a user namespace.
//!
//! Without root there is a second way: a **user namespace** (user_namespaces(7)). A process
//! that creates one is root inside it, with every capability over the namespaces it then
//! creates, while the rest of the system still sees the ordinary user. Distributions gate
//! this with `user.max_user_namespaces` (0 turns it off), Debian's older kernels with
//! `kernel.unprivileged_userns_clone`, Ubuntu with the AppArmor switch
//! `kernel.apparmor_restrict_unprivileged_userns`. TUN devices then still need
//! `/dev/net/tun` to be openable by the user (mode 0666, the udev default).
//!
//! Another process reaches the namespaces such a process creates only through its user
//! namespace: entering a network namespace (`setns`) needs CAP_SYS_ADMIN both over it and in
//! the caller's own user namespace, which an ordinary user has only inside netlab's
//! (`nsenter --preserve-credentials --user=/proc/PID/ns/user --net=...`: the user who owns a
//! user namespace holds every capability in it, and is root there by the map already).

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;

/// Set once [`enter_user_namespace`] has made this process root of a user namespace.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// What netlab's namespaces need, said in every refusal.
const NEED: &str = "netlab's private networks need root (CAP_SYS_ADMIN and CAP_NET_ADMIN)";

/// Capability numbers (linux/capability.h).
const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;

/// Ok when this process can create netlab's namespaces and devices; otherwise the one-line
/// error that says what is missing and how to get it.
pub fn require_privileges() -> Result<(), Error> {
    if has_capabilities() {
        return Ok(());
    }
    let hint = match user_namespaces_blocked() {
        None => "run as root (sudo), or inside a user namespace: unshare --user --map-root-user netlab ...".to_string(),
        Some(blocker) => format!("run as root (sudo), or allow unprivileged user namespaces: {blocker}"),
    };
    Err(Error::usage(
        "network namespaces",
        format!("{NEED}, which this process lacks"),
        hint,
    ))
}

/// Whether [`enter_user_namespace`] made this process root of a user namespace of its own, so
/// that other processes must enter it too (`nsenter --user=/proc/PID/ns/user`) to reach the
/// network namespaces created in it.
pub fn entered_user_namespace() -> bool {
    ENTERED.load(Ordering::Relaxed)
}

/// Makes an unprivileged process root of a new user namespace (its own user and group mapped
/// to 0 inside), so that [`require_privileges`] passes and namespaces can be created, and
/// moves it into an empty network namespace of that user namespace's own. Does
/// nothing when the process already has the capabilities. When the kernel refuses the user
/// namespace (EPERM where a sysctl or a seccomp filter forbids them, ENOSPC where
/// `user.max_user_namespaces` is 0), the one-line error says what is needed instead.
///
/// **Call it before any thread exists** (a tokio runtime, a logger thread, anything; netlab
/// calls it at the start of `app`'s dispatch, before which `main` starts nothing): the kernel
/// refuses `unshare(CLONE_NEWUSER)` in a multi-threaded process, and this function checks that
/// there is exactly one thread before trying.
pub fn enter_user_namespace() -> Result<(), Error> {
    if has_capabilities() {
        return Ok(());
    }
    let threads = fs::read_dir("/proc/self/task").map(Iterator::count).unwrap_or(0);
    if threads != 1 {
        return Err(Error::usage(
            "user namespace",
            format!("the process runs {threads} threads, and unshare(CLONE_NEWUSER) needs exactly one"),
            "call enter_user_namespace at the start of main, before any thread or runtime starts",
        ));
    }
    // SAFETY: getuid(2) and getgid(2) cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    // The network namespace too: one the new user namespace owns, empty (only `lo`, down), the
    // process's home. A thread that entered one of netlab's namespaces must be able to come
    // back, and setns into the host's namespace would need CAP_SYS_ADMIN over it, which only
    // the host's root has. So nothing in this process can reach the host's network either.
    // SAFETY: unshare(2) with constant flags, in a single-threaded process.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET) } != 0 {
        let source = std::io::Error::last_os_error();
        let hint = match user_namespaces_blocked() {
            Some(blocker) => format!("run as root (sudo), or allow unprivileged user namespaces: {blocker}"),
            None => "run as root (sudo)".into(),
        };
        return Err(Error::usage(
            "network namespaces",
            format!("{NEED}, which this process lacks, and the kernel refused it a user namespace ({source})"),
            hint,
        ));
    }
    // An unprivileged process must give up setgroups(2) before it may write a gid_map
    // (user_namespaces(7), "The /proc/[pid]/setgroups file").
    write_proc("/proc/self/setgroups", "deny")?;
    write_proc("/proc/self/uid_map", &format!("0 {uid} 1"))?;
    write_proc("/proc/self/gid_map", &format!("0 {gid} 1"))?;
    ENTERED.store(true, Ordering::Relaxed);
    Ok(())
}

fn write_proc(path: &str, line: &str) -> Result<(), Error> {
    fs::write(path, line).map_err(|source| Error::Io {
        path: path.into(),
        source,
        hint: "the kernel refused the user namespace's ID mapping".into(),
    })
}

/// Whether CAP_SYS_ADMIN and CAP_NET_ADMIN are both in the effective set.
fn has_capabilities() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    match effective_capabilities(&status) {
        Some(set) => set & (1 << CAP_SYS_ADMIN) != 0 && set & (1 << CAP_NET_ADMIN) != 0,
        // SAFETY: geteuid(2) cannot fail.
        None => (unsafe { libc::geteuid() }) == 0,
    }
}

/// The `CapEff:` line of `/proc/PID/status`: a 64-bit mask in hexadecimal.
fn effective_capabilities(status: &str) -> Option<u64> {
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// The sysctl that forbids unprivileged user namespaces here, phrased as the fix; None when
/// none does.
fn user_namespaces_blocked() -> Option<String> {
    let read = |key: &str| -> Option<i64> {
        let path = Path::new("/proc/sys").join(key.replace('.', "/"));
        fs::read_to_string(path).ok()?.trim().parse().ok()
    };
    if read("user.max_user_namespaces") == Some(0) {
        return Some("sysctl user.max_user_namespaces=10000".into());
    }
    if read("kernel.unprivileged_userns_clone") == Some(0) {
        return Some("sysctl kernel.unprivileged_userns_clone=1".into());
    }
    if read("kernel.apparmor_restrict_unprivileged_userns") == Some(1) {
        return Some("sysctl kernel.apparmor_restrict_unprivileged_userns=0".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_set() {
        let status = "Name:\tnetlab\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert_eq!(effective_capabilities(status), Some(0x1ff_ffff_ffff));
        assert_eq!(effective_capabilities("CapEff:\tnothex\n"), None);
        assert_eq!(effective_capabilities(""), None);
    }

    #[test]
    fn refuses_in_one_line_naming_what_is_needed() {
        match require_privileges() {
            Ok(()) => assert!(has_capabilities()),
            Err(e) => {
                let line = e.one_line();
                assert!(line.contains("CAP_NET_ADMIN") && line.contains("sudo"), "{line}");
                assert!(!line.contains('\n'));
            }
        }
    }
}
