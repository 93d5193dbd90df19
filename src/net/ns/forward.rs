//! The link's I/O shell: two threads, one per direction, that move IP packets between the
//! client's and the servers' TUN devices and ask a [`Shaper`] (the link model) when each
//! packet may leave, or whether it is lost.
//!
//! ```text
//!  nl-c ──read──► Offer{len, carries_data} ──► Shaper ──► Forward{depart} ──► Pending ──write at depart──► nl-s
//!                                                    └──► Drop(reason)                                    (Up)
//!  nl-c ◄──write at depart── Pending ◄── ... the same, mirrored ... ◄──read── nl-s                       (Down)
//! ```
//!
//! Each thread sleeps in `ppoll(2)` on its device and a stop `eventfd(2)`, with a timeout up to
//! the next departure, so a delayed packet leaves within the timer slack of its time (about
//! 50 µs) and [`Forwarder::stop`] returns within a millisecond. Time is measured from one
//! start shared by both directions, the clock the shaper's verdicts are in.
//!
//! With a [`LinkPcap`] (`--link-pcap`) each thread also writes what each device saw: a packet
//! as it is read from the near device, and just before it is written to the far one (so a reply
//! the far side sends at once is never filed before the packet it answers). Without one the
//! cost is a branch per packet.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::link::{Direction, Offer, Verdict};

use super::pcap::{LinkPcap, Side};
use super::pending::{Pending, MAX_BYTES, MAX_PACKETS};
use super::record::{ForwardLog, RecordVerdict, Recorder};
use super::{ip, last_sys_error};

/// The link model as the shell sees it: told of each packet when it arrives (`now` is the time
/// since the forwarder started), it says when the packet leaves the far end, or why it is lost.
/// Both directions ask the same shaper, one packet at a time.
pub trait Shaper: Send {
    fn offer(&mut self, dir: Direction, now: Duration, offer: Offer) -> Verdict;
}

/// A perfect link: every packet leaves as soon as it arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pass;

impl Shaper for Pass {
    fn offer(&mut self, _dir: Direction, now: Duration, _offer: Offer) -> Verdict {
        Verdict::Forward { depart: now }
    }
}

/// The link model itself, when nothing else needs to see its state while it runs.
impl Shaper for crate::link::model::Link {
    fn offer(&mut self, dir: Direction, now: Duration, offer: Offer) -> Verdict {
        crate::link::model::Link::offer(self, dir, now, offer)
    }
}

/// Room for the largest packet a TUN device can hand over (MTU 65535).
const BUFFER: usize = 65536;
/// Packets read in one go before the due ones are written: keeps departures on time under load.
const BATCH: usize = 64;
/// Attempts of a write interrupted by a signal.
const WRITE_ATTEMPTS: usize = 3;

/// The running link: two threads forwarding between the devices until stopped.
#[derive(Debug)]
pub struct Forwarder {
    stop: OwnedFd,
    threads: Vec<JoinHandle<Recorder>>,
    /// The client's and the servers' devices, closed here after the threads have ended.
    devices: Option<[Arc<OwnedFd>; 2]>,
}

impl Forwarder {
    /// Starts forwarding: packets read from `client_tun` go [`Direction::Up`] and are written
    /// to `server_tun`; packets from `server_tun` go Down to `client_tun`. At most `log_limit`
    /// packets are recorded (the rest are counted), and every packet is written to `pcap` when
    /// there is one (finish it after [`Forwarder::stop`]). The devices are closed, and so
    /// removed, when the forwarder stops.
    pub fn start<S: Shaper + 'static>(
        client_tun: OwnedFd,
        server_tun: OwnedFd,
        shaper: S,
        log_limit: usize,
        pcap: Option<Arc<LinkPcap>>,
    ) -> Result<Forwarder, Error> {
        // SAFETY: eventfd(2) with constant flags; the result is checked before use.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(last_sys_error("eventfd"));
        }
        // SAFETY: raw is a fresh descriptor that nothing else owns.
        let stop = unsafe { OwnedFd::from_raw_fd(raw) };
        let client = Arc::new(client_tun);
        let server = Arc::new(server_tun);
        let mut forwarder = Forwarder {
            stop,
            threads: Vec::with_capacity(2),
            devices: Some([Arc::clone(&client), Arc::clone(&server)]),
        };
        let shaper = Arc::new(Mutex::new(shaper));
        let start = Instant::now();
        let (up, down) = Recorder::pair(log_limit);
        for (dir, name, from, to, recorder) in [
            (Direction::Up, "nl-link-up", &client, &server, up),
            (Direction::Down, "nl-link-down", &server, &client, down),
        ] {
            let pump = Pump {
                dir,
                from: Arc::clone(from),
                to: Arc::clone(to),
                stop: forwarder.stop.as_raw_fd(),
                shaper: Arc::clone(&shaper),
                start,
                recorder,
                pcap: pcap.clone().map(|file| Capture {
                    file,
                    near: Side::sending(dir),
                    far: Side::receiving(dir),
                }),
            };
            // The thread only reads `stop`, which `forwarder` keeps open until it has joined it.
            let thread = std::thread::Builder::new()
                .name(name.into())
                .spawn(move || pump.run())
                .map_err(|e| super::sys_error(format!("spawn thread {name}"), e))?;
            forwarder.threads.push(thread);
        }
        Ok(forwarder)
    }

    /// Stops both threads and returns what they saw; packets still waiting for their
    /// departure are discarded. The threads end within a millisecond of the signal; removing
    /// the two TUN devices then costs the kernel an RCU grace period each (15-40 ms here),
    /// waited for side by side.
    pub fn stop(mut self) -> ForwardLog {
        match self.join() {
            Ok(log) => log,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Signals the threads and waits for them; their records merged, or the first panic.
    fn join(&mut self) -> std::thread::Result<ForwardLog> {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. It cannot fail short of the
        // counter overflowing, which a handful of writes cannot do.
        unsafe { libc::write(self.stop.as_raw_fd(), (&one as *const u64).cast(), 8) };
        let mut recorders = Vec::with_capacity(2);
        let mut panic = None;
        for thread in self.threads.drain(..) {
            match thread.join() {
                Ok(recorder) => recorders.push(recorder),
                Err(payload) => panic = panic.or(Some(payload)),
            }
        }
        close_side_by_side(self.devices.take());
        if let Some(payload) = panic {
            return Err(payload);
        }
        let (up, down) = match (recorders.pop(), recorders.pop()) {
            (Some(down), Some(up)) => (up, down),
            // start() failed half-way: no log to speak of.
            _ => return Ok(ForwardLog::default()),
        };
        Ok(Recorder::merge(up, down))
    }
}

impl Drop for Forwarder {
    /// A forwarder dropped without [`Forwarder::stop`] still ends its threads before returning.
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            let _ = self.join();
        }
    }
}

/// Closes the devices (the last references, once the threads have ended) on two threads at
/// once: `unregister_netdevice` waits for an RCU grace period, and two waits overlap.
fn close_side_by_side(devices: Option<[Arc<OwnedFd>; 2]>) {
    if let Some([client, server]) = devices {
        std::thread::scope(|scope| {
            let closing = std::thread::Builder::new()
                .name("nl-link-close".into())
                .spawn_scoped(scope, move || drop(client));
            drop(server);
            // Without a second thread the client's device is closed on this one, in turn.
            let _ = closing.map(|t| t.join());
        });
    }
}

/// One direction: reads from `from`, writes to `to`.
struct Pump<S> {
    dir: Direction,
    from: Arc<OwnedFd>,
    to: Arc<OwnedFd>,
    stop: libc::c_int,
    shaper: Arc<Mutex<S>>,
    start: Instant,
    recorder: Recorder,
    pcap: Option<Capture>,
}

/// Where a direction writes what the two devices saw.
struct Capture {
    file: Arc<LinkPcap>,
    /// The side packets arrive from, and the side they are delivered to.
    near: Side,
    far: Side,
}

/// Why `ppoll` returned.
enum Wake {
    Readable,
    Timeout,
    Stop,
    Failed(String),
}

impl<S: Shaper> Pump<S> {
    /// The thread's loop, until the stop signal (or a device error, noted in the log).
    fn run(mut self) -> Recorder {
        let mut buf = vec![0u8; BUFFER];
        let mut pending = Pending::new(MAX_PACKETS, MAX_BYTES);
        loop {
            let now = self.start.elapsed();
            while let Some(packet) = pending.pop_due(now) {
                self.write(&packet);
            }
            let wait = pending.next_departure().map(|d| d.saturating_sub(now));
            match self.wait(wait) {
                Wake::Readable => {
                    if let Err(e) = self.read_batch(&mut buf, &mut pending) {
                        self.recorder.failure = Some(format!("{:?}: read from the TUN device: {e}", self.dir));
                        break;
                    }
                }
                Wake::Timeout => {}
                Wake::Stop => break,
                Wake::Failed(failure) => {
                    self.recorder.failure = Some(failure);
                    break;
                }
            }
        }
        self.recorder
    }

    /// Waits until a packet can be read, `timeout` passes (None: no timeout) or stop is
    /// signalled.
    fn wait(&self, timeout: Option<Duration>) -> Wake {
        let mut fds = [
            libc::pollfd {
                fd: self.from.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.stop,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let spec = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let spec_ptr = spec.as_ref().map_or(std::ptr::null(), |s| s as *const libc::timespec);
        // SAFETY: fds is a live array of two pollfd; spec_ptr is null or points to `spec`.
        let n = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, spec_ptr, std::ptr::null()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                return Wake::Timeout;
            }
            return Wake::Failed(format!("{:?}: ppoll: {e}", self.dir));
        }
        if fds[1].revents != 0 {
            return Wake::Stop;
        }
        if fds[0].revents & libc::POLLIN != 0 {
            return Wake::Readable;
        }
        if fds[0].revents != 0 {
            return Wake::Failed(format!(
                "{:?}: the TUN device reported poll events {:#x}",
                self.dir, fds[0].revents
            ));
        }
        Wake::Timeout
    }

    /// Reads up to [`BATCH`] packets and hands each to the shaper.
    fn read_batch(&mut self, buf: &mut [u8], pending: &mut Pending) -> std::io::Result<()> {
        for _ in 0..BATCH {
            // SAFETY: reads at most buf.len() bytes into the live buffer `buf`.
            let n = unsafe { libc::read(self.from.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                return match e.raw_os_error() {
                    Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(()),
                    _ => Err(e),
                };
            }
            let len = n as usize;
            if len == 0 {
                return Ok(());
            }
            self.arrive(&buf[..len], pending);
        }
        Ok(())
    }

    /// One packet's arrival: the shaper's verdict, then at once to the far device, into the
    /// queue, or nowhere.
    fn arrive(&mut self, packet: &[u8], pending: &mut Pending) {
        let now = self.start.elapsed();
        let offer = Offer {
            len: packet.len(),
            carries_data: ip::carries_data(packet),
        };
        let dir = self.dir;
        let verdict = self
            .shaper
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .offer(dir, now, offer);
        if let Some(c) = &self.pcap {
            c.file.record(c.near, packet);
        }
        let mut record = RecordVerdict::of(verdict, now);
        if let Verdict::Forward { depart } = verdict {
            if depart <= now && pending.is_empty() {
                self.write(packet);
            } else if pending.push(depart, packet).is_err() {
                record = RecordVerdict::Overflow;
            }
        }
        self.recorder.record(now, packet, offer.carries_data, record);
    }

    /// Writes one packet to the far device; a refusal is counted (the packet is lost, as on a
    /// wire; the far side's capture, written first, still shows it).
    fn write(&mut self, packet: &[u8]) {
        if let Some(c) = &self.pcap {
            c.file.record(c.far, packet);
        }
        for _ in 0..WRITE_ATTEMPTS {
            // SAFETY: writes packet.len() bytes from the live slice `packet`.
            let n = unsafe { libc::write(self.to.as_raw_fd(), packet.as_ptr().cast(), packet.len()) };
            if n >= 0 {
                self.recorder.stats.forwarded += 1;
                return;
            }
            if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                break;
            }
        }
        self.recorder.stats.write_errors += 1;
    }
}
