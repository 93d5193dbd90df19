//! Command-line types (clap derive) and nothing else: `app.rs` validates them into engine calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::style::ColorChoice;

const ABOUT: &str = "A lab toolkit for networking fundamentals: every command shows what happened and why.";

const EXAMPLES: &str = "\
Examples:
  netlab cidr contains 10.0.0.0/8 10.1.2.3      inside? the AND, bit by bit
  netlab dns www.example.com --sandbox          the walk from the root
  netlab tls www.example.com --sandbox          TLS 1.3, decrypted
  netlab http https://www.example.com/ --sandbox --compare
                                                HTTP/2 beside HTTP/3
  netlab pcap captures/dns-walk.pcap            a capture, layer by layer
  sudo netlab capture -i lo --port 53 -c 10     live, decoded as it goes
  sudo netlab tcp www.example.com:9 --sandbox   SYN to TIME_WAIT
  netlab sandbox up                             the sandbox, for dig, curl
  netlab render walk.json --svg walk.svg        a saved --json trace, drawn
  netlab lab start 01-dns                       a lab, checked on your traces
  netlab completions bash                       completions (and: netlab man)
  netlab --json cidr info 2001:db8::/48         any trace as JSON

--sandbox runs a command against netlab's small internet on loopback: offline, nothing leaves the machine.

Exit status: 0 yes/ok, 1 a negative answer (address outside, no line matched, a certificate that fails its check), 2 bad usage or input, 3 a file that cannot be read or written, 4 a network or protocol failure (refused, timed out, reset, a malformed reply, an alert), recorded with its phase in the trace.";

/// netlab: networking fundamentals, hands on.
#[derive(Debug, Parser)]
#[command(name = "netlab", version, about = ABOUT, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalOpts {
    /// Print the trace as JSON (with a "schema" field) instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Also draw the trace as a picture, a self-contained SVG file: a ladder diagram for
    /// dns, tls and http (with a stream waterfall for several requests), the congestion window
    /// over time for tcp, the SYN queue or bars of each run for ddos, the topology and each
    /// client's path for anycast; 'netlab render TRACE.json --svg FILE' draws a saved --json
    /// trace
    #[arg(long, global = true, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Colour the text output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Leave out the "why:" teaching notes
    #[arg(long, global = true)]
    pub no_notes: bool,
    /// Run against the sandbox: a small internet on loopback (no packet leaves the machine)
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Refuse every destination that is not loopback (also NETLAB_OFFLINE=1)
    #[arg(long, global = true)]
    pub offline: bool,
    /// Put an emulated link between the client and the sandbox (implies --sandbox; its network
    /// namespaces need root, or unprivileged user namespaces where the system allows them): a
    /// preset (lan, dsl, cable, 3g, 4g, transatlantic, wifi-lossy, satellite), KEY=VALUE,... (rtt=50ms, delay, jitter, loss=1%, burst=N, reorder=1%,
    /// rate=20mbit, queue=N, mtu=1500, seed=N, drop=down:7, drop=response:1 (the first full
    /// packet of the responses); up./down. for one direction), or a preset with overrides
    /// (4g,loss=5%)
    #[arg(long, global = true, value_name = "CONDITIONS", value_parser = crate::link::spec::LinkSpec::parse)]
    pub link: Option<crate::link::spec::LinkSpec>,
    /// With --link: write every packet the link passes or drops, whole, as each end saw it, to
    /// PREFIX.client.pcap and PREFIX.servers.pcap (a dropped packet is only in its sender's)
    #[arg(long, global = true, value_name = "PREFIX", requires = "link")]
    pub link_pcap: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// CIDR prefixes, masks and ranges, IPv4 and IPv6 (RFC 4632, RFC 4291)
    #[command(subcommand)]
    Cidr(CidrCommand),
    /// Resolve a name from the root, hop by hop, like dig +trace but explained
    #[command(after_help = DNS_HELP)]
    Dns(DnsArgs),
    /// A TLS handshake, message by message, decrypted with its own keys (like openssl s_client -msg, explained)
    #[command(after_help = TLS_HELP)]
    Tls(TlsArgs),
    /// Fetch a URL over HTTP/2 and HTTP/3, timed phase by phase, with the frames (like curl -v + httpstat, for both)
    #[command(after_help = HTTP_HELP)]
    Http(HttpArgs),
    /// Decode a pcap or pcapng capture, layer by layer, explained (like tcpdump -nn / tshark)
    #[command(after_help = PCAP_HELP)]
    Pcap(PcapArgs),
    /// Capture live from an interface (pnet), decoding as it goes; -w keeps a pcap
    #[command(after_help = CAPTURE_HELP)]
    Capture(CaptureArgs),
    /// Open a TCP connection while capturing it: handshake, TCP_INFO during a transfer, teardown, TIME_WAIT
    #[command(after_help = TCP_HELP)]
    Tcp(TcpArgs),
    /// An HTTP/1.1 reverse-proxy cache on loopback in front of a loopback origin (RFC 9111)
    #[command(after_help = EDGE_HELP)]
    Edge(EdgeArgs),
    /// The sandbox: a small internet on loopback, kept running for dig, curl and Wireshark
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Show a saved --json trace again: as text, as JSON, or drawn with --svg FILE
    #[command(after_help = RENDER_HELP)]
    Render(RenderArgs),
    /// Guided labs: read, run, answer; checked against your own traces
    #[command(
        subcommand,
        after_help = "Examples:\n  netlab lab list\n  netlab lab start 04-cidr      (type 'hint', 'answer' or 'quit' at any prompt)\n  netlab lab check 04-cidr --answers my-answers.toml\n  netlab lab progress 04-cidr   question by question: right at the first try, after hints, revealed\n  netlab lab reset 04-cidr --yes\n\nProgress is kept in $NETLAB_HOME/progress.json (default: $XDG_DATA_HOME/netlab or ~/.local/share/netlab). NETLAB_LABS=DIR loads labs from a folder instead of the built-in ones."
    )]
    Lab(LabCommand),
    /// Rate limiting measured: a request log replayed through five algorithms against the exact one
    #[command(after_help = RATELIMIT_HELP)]
    Ratelimit(RatelimitArgs),
    /// Attacks run for real inside networks netlab owns: SYN floods, reflection, filtering, HTTP floods
    #[command(subcommand)]
    Ddos(DdosCommand),
    /// Anycast with real BGP: three PoPs announce one address; which one each client reaches, and why
    #[command(after_help = ANYCAST_HELP)]
    Anycast(AnycastArgs),
    /// Shell completions (bash, zsh, fish, elvish, powershell), generated from these definitions
    #[command(
        after_help = "Examples:\n  netlab completions bash > ~/.local/share/bash-completion/completions/netlab\n  netlab completions zsh > \"${fpath[1]}/_netlab\"\n  netlab completions fish > ~/.config/fish/completions/netlab.fish"
    )]
    Completions(CompletionsArgs),
    /// Man pages, generated from these definitions: netlab(1) and netlab-COMMAND(1)
    #[command(
        after_help = "Examples:\n  netlab man | man -l -\n  netlab man dns | man -l -\n  mkdir -p ~/.local/share/man/man1 && netlab man --dir ~/.local/share/man/man1"
    )]
    Man(ManArgs),
}

#[derive(Debug, Subcommand)]
pub enum DdosCommand {
    /// Flood a listener with spoofed SYNs, without and with SYN cookies, while a client connects
    #[command(after_help = DDOS_SYN_HELP)]
    Syn(DdosSynArgs),
    /// Drop one UDP flood in the application, in nftables and in XDP: packets and CPU per layer
    #[command(after_help = DDOS_FILTER_HELP)]
    Filter(DdosFilterArgs),
    /// Reflect forged DNS queries off the sandbox's name servers: amplification, RRL, BCP 38
    #[command(after_help = DDOS_REFLECT_HELP)]
    Reflect(DdosReflectArgs),
    /// Flood netlab's edge with HTTP requests: no defence, a per-address limit, a cookie challenge
    #[command(after_help = DDOS_HTTP_HELP)]
    Http(DdosHttpArgs),
}

const ANYCAST_HELP: &str = "\
Examples:
  sudo netlab anycast                     which PoP each client reaches, and the BGP step that chose it
  sudo netlab anycast --withdraw fra      then fra's sessions go down: who moves where, in how many ms
  sudo netlab anycast --withdraw fra --prepend iad:2   eu then takes the shorter path, through tb to sin
  sudo netlab anycast --withdraw fra -w bgp.pcap && netlab pcap bgp.pcap --port 179   the UPDATEs, decoded
  sudo netlab anycast --fail fra          fra goes silent: 3 s of hold timer before anyone moves
  sudo netlab anycast --flat               no region preferred: asia goes to iad by router ID alone
  sudo netlab anycast --flat --med iad:50  iad asks to be used less: asia back on sin, by MED
  sudo netlab anycast up                  keep it running: dig, curl, birdc and tcpdump inside it (nsenter)

Everything happens in seven network namespaces netlab creates and that end with the command: three PoPs (fra, iad, sin) in AS64500, each with 203.0.113.1 on lo and announcing 203.0.113.0/24; two transits (ta AS64510, tb AS64520) that each prefer their own region's PoP (local-pref 200) to iad, which both reach; and two client networks, eu behind ta and asia behind tb. The routers' links are emulated with one-way delays (each transit to its region's PoP 5 ms, ta to iad 40 ms, tb to iad 60 ms, ta to tb 80 ms); each client reaches its transit over a veth pair. Each router runs BIRD 2 (bird -f, supervised by netlab), configured from the topology. Each PoP names itself twice on 203.0.113.1: to the DNS query id.server. CH TXT (RFC 4892) and in an x-served-by header over HTTP.

--withdraw POP makes that PoP stop announcing the prefix while its sessions stay up (an UPDATE withdrawing it, as when a site is drained). Meanwhile each client downloads 1 MiB over TCP and asks id.server every 5 ms over UDP: a client whose routers move to another PoP sees its download reset by that PoP, which never saw the connection, while its DNS queries are simply answered by the new PoP. DNS steering is measured beside it: the PoPs also answer www.cdn.example A with the unicast address of the client's regional PoP (198.51.100.1-3, each announced by its PoP alone), and each client downloads from that address too. The BGP messages of the move are captured on the transits' links and shown decoded.

--fail POP drops every packet on that PoP's links instead (nftables in its namespace), as a power cut would: no UPDATE is sent, and its neighbours move only when their hold timer (3 s here) expires. Needs root and bird2.";

/// `netlab anycast`.
#[derive(Debug, Args)]
pub struct AnycastArgs {
    /// up: build the internet, show where each client goes and how to reach into it (nsenter,
    /// birdc), and keep it running until Ctrl-C or --for
    #[arg(value_name = "MODE", value_parser = ["up"], conflicts_with_all = ["withdraw", "fail", "pcap"])]
    pub mode: Option<String>,
    /// With up: stop after this many seconds instead of waiting for Ctrl-C
    #[arg(long = "for", value_name = "SECONDS", requires = "mode")]
    pub duration: Option<u64>,
    /// After the baseline, this PoP stops announcing the prefix (its sessions stay up): each
    /// client's move, a TCP download across it, and the BGP UPDATEs that did it
    #[arg(long, value_name = "POP", value_parser = ["fra", "iad", "sin"], conflicts_with = "fail")]
    pub withdraw: Option<String>,
    /// After the baseline, this PoP goes dark (every packet on its links dropped, nothing said):
    /// the same measurements, with the neighbours waiting for their hold timer
    #[arg(long, value_name = "POP", value_parser = ["fra", "iad", "sin"])]
    pub fail: Option<String>,
    /// A PoP that prepends its AS N more times to what it announces (a longer AS path, to be
    /// chosen less): fra:2
    #[arg(long, value_name = "POP:N", value_parser = parse_prepend)]
    pub prepend: Option<(String, u32)>,
    /// A PoP that sends this MED with its routes (lower is preferred, among routes from the
    /// same AS, after local-pref and AS-path length): iad:50
    #[arg(long, value_name = "POP:N", value_parser = parse_med)]
    pub med: Option<(String, u32)>,
    /// The transits prefer no region: every route gets local-pref 100, so the later decision
    /// steps (AS-path length, MED, router ID) choose
    #[arg(long)]
    pub flat: bool,
    /// Write every BGP segment seen on the transits' links, the whole run, to this pcap file
    /// (0600), for netlab pcap, tshark or Wireshark
    #[arg(long, short = 'w', value_name = "FILE")]
    pub pcap: Option<PathBuf>,
}

/// `POP:N`, N from 1 to 8.
fn parse_prepend(s: &str) -> Result<(String, u32), String> {
    let (pop, n) = pop_and_number(s, "fra:2")?;
    match n.parse::<u32>() {
        Ok(n @ 1..=8) => Ok((pop, n)),
        _ => Err(format!("'{n}' is not a count from 1 to 8")),
    }
}

/// `POP:N`, N a MED from 0 to 4294967295.
fn parse_med(s: &str) -> Result<(String, u32), String> {
    let (pop, n) = pop_and_number(s, "iad:50")?;
    n.parse::<u32>()
        .map(|n| (pop, n))
        .map_err(|_| format!("'{n}' is not a MED (a number from 0 to 4294967295)"))
}

/// A PoP's name and the text after its colon.
fn pop_and_number<'a>(s: &'a str, example: &str) -> Result<(String, &'a str), String> {
    let (pop, n) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not POP:N ({example})"))?;
    if !["fra", "iad", "sin"].contains(&pop) {
        return Err(format!("'{pop}' is not a PoP (fra, iad, sin)"));
    }
    Ok((pop.to_string(), n))
}

const DDOS_HTTP_HELP: &str = "\
Examples:
  netlab ddos http                              none, limit, challenge side by side
  netlab ddos http --defence limit --limit 5    a tighter limit: what the NAT user pays
  netlab ddos http --bots 32 --rate 100 --seconds 3 --json

Everything happens on loopback, each client connecting from its own address in 127.0.0.0/8: bots from 127.0.66.1 up ask for GET /api/item (an answer the origin marks no-store, so the cache cannot help) --rate times a second each on keep-alive connections, without cookies; a user at 127.0.88.1 and a user behind the first bot's address (as behind a carrier-grade NAT) each ask every 100 ms, keeping cookies. The edge (netlab edge's engine) runs once per defence: none; --limit requests per second per address (429 past it); a cookie challenge (a 403 setting a cookie derived from the address; the request must bring it back). The table shows what the bots got, what reached the origin, and what each user got. No root needed. At most 20000 bot requests (bots x rate x seconds) and 5 s per phase.";

/// A phase's length in seconds: more than 0, at most 5.
fn parse_phase_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 5.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds from 0 to 5 (2, 0.5)")),
    }
}

/// `netlab ddos http`.
#[derive(Debug, Args)]
pub struct DdosHttpArgs {
    /// The defences to run, in order: none, limit, challenge
    #[arg(long, value_delimiter = ',', default_value = "none,limit,challenge", value_parser = ["none", "limit", "challenge"])]
    pub defence: Vec<String>,
    /// Bots, each its own loopback address
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub bots: u32,
    /// Each bot's requests per second
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub rate: u32,
    /// Each phase's length
    #[arg(long, default_value_t = 2.0, value_parser = parse_phase_seconds)]
    pub seconds: f64,
    /// The limit phase's requests per second per address
    #[arg(long, value_name = "PER_SECOND", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

const DDOS_REFLECT_HELP: &str = "\
Examples:
  sudo netlab ddos reflect                      A, TXT, DNSKEY, ANY: the factor, then RRL, then BCP 38
  sudo netlab ddos reflect --rrl 10 --slip 0    RRL that never slips
  sudo netlab ddos reflect --queries 100 --qps 500 --json

Everything happens in two network namespaces netlab creates and that end with the command, joined by a veth pair. In one, a raw socket writes DNS queries whose source is the victim, 192.0.2.66:44444 (EDNS 4096, DO=1); in the other, the sandbox's name servers for example.com answer them: ns1 (203.0.113.53) as it is, ns2 (203.0.113.54) behind Response Rate Limiting (answers per second per client /24 and question; every --slip-th withheld answer sent empty with TC=1). The victim, in the same namespace, counts what arrives: bytes in against bytes out, the amplification factor per question. Last, BCP 38: an nftables rule at the attacker's network drops what leaves with a source that is not its own. Needs root and nft (nftables).";

/// `netlab ddos reflect`.
#[derive(Debug, Args)]
pub struct DdosReflectArgs {
    /// Forged queries per question and phase
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub queries: u32,
    /// Forged queries per second
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=5_000))]
    pub qps: u32,
    /// RRL on ns2: answers per second to one client /24 for one question
    #[arg(long, value_name = "PER_SECOND", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub rrl: u32,
    /// RRL's slip: every Nth withheld answer is sent truncated (TC=1); 0 sends none
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub slip: u32,
    /// The address the queries forge; only the victim inside netlab's namespaces is accepted
    #[arg(long, value_name = "ADDR:PORT", default_value = "192.0.2.66:44444")]
    pub victim: String,
}

const DDOS_FILTER_HELP: &str = "\
Examples:
  sudo netlab ddos filter                        app, nftables, xdp side by side
  sudo netlab ddos filter --depth nftables --limit 1000 --burst 100
  sudo netlab ddos filter --depth app,xdp --packets 1000000 --json

Everything happens in two network namespaces netlab creates and that end with the command, joined by a veth pair: a discard service (UDP port 9) on 198.51.100.80, and one thread writing 46-byte datagrams from 203.0.113.1-254 with a raw socket as fast as it can. At each depth the same flood is dropped by a different layer: the application itself (a per-source token bucket after recvmmsg), nftables (the same limit in a dynamic set at prerouting, nft -f), or XDP (xdp-filter dropping port 9 on the interface, native mode where the driver has it). The table shows what each layer counted, the sender's rate, and the machine's CPU time per datagram (/proc/stat: the busy time of all CPUs, so run it on a quiet machine). Needs root, nft (nftables) for the nftables depth and xdp-filter (xdp-tools) for the xdp depth. At most 2000000 datagrams and 10 s per depth.";

/// `netlab ddos filter`.
#[derive(Debug, Args)]
pub struct DdosFilterArgs {
    /// The depths to drop the flood at, in order: app, nftables, xdp
    #[arg(long, value_delimiter = ',', default_value = "app,nftables,xdp", value_parser = ["app", "nftables", "xdp"])]
    pub depth: Vec<String>,
    /// Datagrams per depth
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(1..=2_000_000))]
    pub packets: u64,
    /// The per-source limit of the app and nftables depths, in datagrams per second
    #[arg(long, value_name = "PPS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub limit: u32,
    /// The per-source burst: datagrams a source may send at once before the limit applies
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub burst: u32,
    /// The service to flood; only the one inside netlab's namespaces is accepted
    #[arg(long, value_name = "ADDR:PORT", default_value = "198.51.100.80:9")]
    pub target: String,
}

const DDOS_SYN_HELP: &str = "\
Examples:
  sudo netlab ddos syn                        cookies off, then on: the queue, the drops, the client
  sudo netlab ddos syn --cookies off --backlog 128 --packets 3000 --pps 1000
  sudo netlab ddos syn --cookies off --backlog 4096 --max-syn-backlog 64   the other cap

Everything happens in a network namespace netlab creates (lo its only interface) and that ends with the command: a listener on 198.51.100.80:80, SYNs from 203.0.113.0/24 written with a raw socket, a client connecting every 250 ms, and the kernel's counters (/proc/net/netstat TcpExt, /proc/net/tcp SYN_RECV) every 100 ms. Needs root, or a user namespace (unshare --user --map-root-user netlab ddos syn). At most 20000 SYNs, 10 s of flood per run.";

/// `netlab ddos syn`.
#[derive(Debug, Args)]
pub struct DdosSynArgs {
    /// tcp_syncookies for the run: off (0), on (1: when the SYN queue overflows), always (2);
    /// compare runs off, then on
    #[arg(long, default_value = "compare", value_parser = ["off", "on", "always", "compare"])]
    pub cookies: String,
    /// The listener's listen() backlog: its SYN queue holds backlog + 1 half-open connections
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=65_535))]
    pub backlog: u32,
    /// tcp_max_syn_backlog in netlab's namespace (default there: 2048); without cookies a SYN is
    /// also dropped once the queue holds more than three quarters of it
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(8..=65_535))]
    pub max_syn_backlog: Option<u32>,
    /// SYNs per run
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub packets: u32,
    /// SYNs per second
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub pps: u32,
    /// The listener to flood; only the one inside netlab's namespace is accepted
    #[arg(long, value_name = "ADDR:PORT", default_value = "198.51.100.80:80")]
    pub target: String,
}

const RATELIMIT_HELP: &str = "\
Examples:
  netlab ratelimit --limit 10/1s                      generated bursty traffic, every algorithm
  netlab ratelimit --log access.log --limit 100/60s   replay a Common/Combined Log Format log
  netlab ratelimit --limit 10/1s --nodes 4 --delay 50ms   four edge nodes sharing counters late
  netlab ratelimit --clients 10000 --seconds 60 --rate 20 --limit 50/1s --algorithm gcra

Each algorithm decides every request in arrival order, and each decision is compared with the exact sliding log's: false admits (let through where the policy forbids) and false rejects (refused where it allows), the state each keeps per key, and decisions per second, beside a plain HashMap counting pass over the same requests (the floor). The generator is seeded (--seed), so a replay is repeatable.";

/// `netlab ratelimit`.
#[derive(Debug, Args)]
pub struct RatelimitArgs {
    /// The policy: at most N requests per window (10/1s, 100/60s, 5/500ms)
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_rate_policy)]
    pub limit: (u32, u64),
    /// Replay this access log (Common or Combined Log Format: the client address is the key;
    /// '-' reads standard input)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["clients", "seconds", "rate"])]
    pub log: Option<PathBuf>,
    /// Generated traffic: how many clients
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,
    /// Generated traffic: how many seconds
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub seconds: u32,
    /// Generated traffic: mean requests per second per client (bursty: on/off, heavy-tailed)
    #[arg(long, default_value_t = 2.0)]
    pub rate: f64,
    /// Generated traffic: the seed
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only these algorithms (fixed-window, sliding-log, sliding-window, token-bucket, gcra)
    #[arg(long = "algorithm", value_name = "NAME")]
    pub algorithms: Vec<String>,
    /// Also replay over N edge nodes sharing counters (see --delay)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub nodes: Option<u32>,
    /// With --nodes: how late each node hears of the others' admissions (0ms, 50ms, 1s)
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration_ns, requires = "nodes")]
    pub delay: u64,
}

/// `10/1s` as (10, 1 s in ns).
fn parse_rate_policy(s: &str) -> Result<(u32, u64), String> {
    let (n, w) = s.split_once('/').ok_or("write it as N/WINDOW, e.g. 10/1s")?;
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("'{n}' is not a whole number of requests"))?;
    if n == 0 {
        return Err("the limit must be at least 1 request".into());
    }
    let w = parse_duration_ns(w)?;
    if w == 0 {
        return Err("the window must be longer than 0".into());
    }
    Ok((n, w))
}

/// `--rate`: `20/s`, `20/1s`, `5/100ms` as (requests, window in ns); a window without a
/// number is one of its unit.
fn parse_request_rate(s: &str) -> Result<(u32, u64), String> {
    let (n, w) = s.split_once('/').ok_or("write it as N/WINDOW, e.g. 20/s or 5/100ms")?;
    let w = w.trim();
    let w = if w.starts_with(|c: char| c.is_ascii_digit()) {
        w.to_string()
    } else {
        format!("1{w}")
    };
    parse_rate_policy(&format!("{n}/{w}"))
}

/// `50ms`, `1s`, `2m`, `250us` in nanoseconds.
fn parse_duration_ns(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration such as 50ms or 1s"))?;
    let scale = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" | "" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(format!("'{unit}' is not a unit (ns, us, ms, s, m, h)")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("'{s}' is too long"))
}

const RENDER_HELP: &str = "\
Examples:
  netlab --json dns www.example.com --sandbox > walk.json
  netlab render walk.json --svg walk.svg        the walk as a ladder diagram
  netlab render walk.json                       the same trace as text again
  netlab tls www.example.com --sandbox --svg tls.svg    draw while running

Pictures are drawn for traces of dns, tls, http, tcp, ddos and anycast; other traces are shown as text or JSON. A file that is not a netlab trace is refused in one line (exit status 2).";

/// `netlab render TRACE.json`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A trace written by 'netlab --json ...' ('-' for standard input)
    #[arg(value_name = "TRACE.json")]
    pub trace: PathBuf,
}

/// `netlab completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `netlab man [COMMAND]`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (dns, tls, ...); none: netlab(1) itself
    pub command: Option<String>,
    /// Write every page (netlab.1, netlab-dns.1, ...) into this folder instead
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

const DNS_HELP: &str = "\
Examples:
  netlab dns www.example.com --sandbox            the whole walk, on the sandbox
  netlab dns example.com MX --sandbox --short     answers only, like dig +short
  netlab dns -x 192.0.2.10 --sandbox              reverse lookup (PTR)
  netlab dns big.example.com TXT --sandbox        truncation over UDP, then TCP
  netlab dns www.example.org --sandbox            a glueless delegation
  netlab dns www.example.com --sandbox --dnssec   validate the chain of trust (Secure)
  netlab dns www.bogus.test --sandbox --dnssec    a broken chain (Bogus), and the broken link
  netlab dns example.com --root 127.0.0.1:5300    start from your own root server
  netlab dns example.com @127.0.0.53              stub mode: ask a recursive resolver once
  netlab dns www.example.com @203.0.113.53 --sandbox   ask one sandbox server directly
  netlab dns www.example.com --system --sandbox   ask the sandbox's recursive resolver
  netlab dns www.bogus.test @198.51.100.53 --dnssec --sandbox   its AD bit, or SERVFAIL and why
  netlab dns www.example.com @198.51.100.53 --https --sandbox   the same over DNS over HTTPS
  netlab dns example.com @1.1.1.1 --tls           DNS over TLS to a public resolver

Types: A, AAAA, CNAME, NS, MX, TXT, SOA, CAA, SRV, PTR, HTTPS, SVCB, DS, DNSKEY (or TYPEnnn). Without --sandbox the walk starts at the IANA root servers on the internet. Every attempt has a timeout (--timeout), and the walk a query budget (--max-queries) and a time limit (--max-time). Exit status: 0 with an answer, 1 for NXDOMAIN, NODATA, bogus DNSSEC or a walk that stopped (a CNAME loop, a budget used up), 2 for bad usage, 4 when no server of a zone gave a usable answer (timeouts, unreachable, SERVFAIL or REFUSED: a DNS-phase failure).

Coming from dig: 'netlab dns NAME TYPE' is 'dig +trace NAME TYPE', explained, and dig's spellings work: +short (--short), +dnssec (--dnssec: DO=1, and the walk also validates), +trace (the walk, the default), +norecurse (the walk asks with RD=0 already), +time=S (--timeout), @SERVER -p PORT (--resolver IP:PORT), -t TYPE, -x IP, and the class IN after the name. +tcp, +noall/+answer and classes other than IN are refused in one line that says what netlab does instead.";

#[derive(Debug, Args)]
pub struct DnsArgs {
    /// The name to resolve, optionally a record type (default A), and @IP to ask a resolver
    #[arg(value_name = "NAME [TYPE] [@SERVER]", num_args = 0..=3)]
    pub words: Vec<String>,
    /// Stub mode: ask this recursive resolver instead of walking (same as @IP)
    #[arg(long, value_name = "IP[:PORT]", conflicts_with_all = ["root", "root_hints", "system"])]
    pub resolver: Option<String>,
    /// Stub mode: ask the system's resolvers (/etc/resolv.conf); with --sandbox, the sandbox's resolver
    #[arg(long, conflicts_with_all = ["root", "root_hints"])]
    pub system: bool,
    /// Stub mode over DNS over TLS (RFC 7858, port 853)
    #[arg(long, conflicts_with = "https")]
    pub tls: bool,
    /// Stub mode over DNS over HTTPS (RFC 8484, port 443)
    #[arg(long)]
    pub https: bool,
    /// The name the resolver's certificate must carry (default: its address; in the sandbox,
    /// resolver.sandbox.test)
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,
    /// Reverse lookup: the PTR record of this address
    #[arg(short = 'x', value_name = "IP")]
    pub reverse: Option<String>,
    /// Start the walk at this server instead of the root hints (repeatable)
    #[arg(long, value_name = "IP[:PORT]")]
    pub root: Vec<String>,
    /// Read root hints from a file in named.root format
    #[arg(long, value_name = "FILE", conflicts_with = "root")]
    pub root_hints: Option<PathBuf>,
    /// Per-attempt timeout in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub timeout: u64,
    /// Most queries the whole walk may send
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_queries: u32,
    /// Time limit for the whole walk in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 20_000)]
    pub max_time: u64,
    /// Print only the answers' data, one per line, as dig +short prints it. No answer (or a
    /// DNSSEC-bogus one): nothing on stdout, the reason in one line on stderr
    #[arg(long)]
    pub short: bool,
    /// Validate with DNSSEC: ask with DO, check DNSKEY and DS at every zone cut and the RRSIGs on
    /// the answer, from the IANA root key (with --sandbox, the sandbox's own root key). In stub
    /// mode: ask with DO=1 and AD=1, and show whether the resolver vouches (AD) or why it failed
    /// (Extended DNS Errors)
    #[arg(long)]
    pub dnssec: bool,
}

const TLS_HELP: &str = "\
Examples:
  netlab tls www.example.com --sandbox                  the whole TLS 1.3 handshake, decrypted
  netlab tls www.example.com --sandbox --show-secrets   plus this connection's key schedule
  netlab tls www.example.com --sandbox --keylog keys.txt    NSS key log for Wireshark (0600)
  netlab tls www.example.com --sandbox --resume         a second, resumed handshake (PSK)
  netlab tls tls12.example.com --sandbox                TLS 1.2, decrypted from its master secret
  netlab tls zero-rtt.example.com --sandbox --early-data    0-RTT: the request rides the ClientHello
  netlab tls example.org:443 --cacert my-ca.pem         trust a private CA too
  netlab tls serve                                      what do curl, openssl, browsers offer?

netlab records the bytes on the wire, takes the secrets from rustls's key log (TLS 1.3's traffic secrets, TLS 1.2's master secret), decrypts every record itself, and recomputes the Finished to prove the transcript is intact. Certificate checks are never skipped. Exit status: 0 on a completed handshake (TLS 1.3 or 1.2), 1 if a certificate check failed, 4 if the connection or the handshake failed (refused, timed out, reset, malformed, an alert: the trace's outcome names the phase).

Coming from openssl s_client: -connect HOST:PORT (the target; 'netlab tls s_client -connect' works too), -servername (--sni), -CAfile (--cacert), -alpn a,b (--alpn a --alpn b), -groups a:b (--groups a,b), -ciphersuites or -cipher a:b (--ciphers a,b), -cert and -key (--client-cert, --client-key), -keylogfile (--keylog). -msg, -showcerts and -verify_return_error are what netlab does already (every message shown, each certificate sent listed, a failed check stops it). -reconnect, -sess_out and -CApath are refused in one line naming netlab's way.";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TlsArgs {
    #[command(subcommand)]
    pub action: Option<TlsAction>,
    /// HOST or HOST:PORT (default port 443)
    pub target: Option<String>,
    /// Server name to send (SNI) and check the certificate against (default: HOST)
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Offer this ALPN protocol (repeatable), e.g. h2 or http/1.1
    #[arg(long, value_name = "PROTOCOL", default_values_t = ["http/1.1".to_string()])]
    pub alpn: Vec<String>,
    /// Also trust the CA certificates in this PEM file (curl's spelling)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Offer only these key-exchange groups, in order (x25519, secp256r1 alias P-256 or prime256v1,
    /// secp384r1 alias P-384); the first gets a key share, and a server that does not accept it
    /// answers with a HelloRetryRequest
    #[arg(long, value_name = "GROUP", value_delimiter = ',')]
    pub groups: Vec<String>,
    /// Offer only these cipher suites, in order: IANA names as netlab prints them (e.g.
    /// TLS_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL's
    /// (ECDHE-RSA-AES128-GCM-SHA256), in any case
    #[arg(long, value_name = "SUITE", value_delimiter = ',')]
    pub ciphers: Vec<String>,
    /// Connect twice: the second connection resumes with the first one's session ticket (PSK)
    #[arg(long)]
    pub resume: bool,
    /// With --resume: send the request as 0-RTT early data with the second ClientHello, before
    /// any round trip, if the ticket allows it (try zero-rtt.example.com on the sandbox)
    #[arg(long)]
    pub early_data: bool,
    /// Do not let a failed certificate check stop the connection (curl -k). The check still runs,
    /// its failure is shown loudly, and the server's signature is still verified
    #[arg(long, short = 'k')]
    pub insecure: bool,
    /// Client certificate (PEM chain) for mutual TLS, sent when the server sends a
    /// CertificateRequest; 'sandbox' uses a certificate from the sandbox CA (with --sandbox)
    #[arg(long, value_name = "FILE|sandbox")]
    pub client_cert: Option<String>,
    /// Private key (PEM) of --client-cert
    #[arg(long, value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// Print this connection's secrets, keys and IVs
    #[arg(long)]
    pub show_secrets: bool,
    /// Write the secrets as an NSS key log (0600) for Wireshark
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Make the missing folders of --keylog (0700), as curl's --create-dirs
    #[arg(long)]
    pub create_dirs: bool,
    /// Timeout for the connection and the handshake, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout: u64,
}

const HTTP_HELP: &str = "\
Examples:
  netlab http https://www.example.com/ --sandbox                 HTTP/2: phases, frames, HPACK
  netlab http https://www.example.com/ --sandbox --compare       HTTP/2 and HTTP/3 side by side
  netlab http https://www.example.com/ --sandbox --h3            HTTP/3 over QUIC, with quinn's stats
  netlab http https://www.example.com/objects/1 --sandbox --requests 20 --concurrency 10
                                                                 20 streams on one connection
  netlab http https://www.example.com/bytes/1000000 --sandbox -o out.bin
  netlab http https://www.example.com/ --sandbox --h3 --keylog keys.txt
                                                                 its secrets, for pcap --keylog
  netlab --link rtt=40ms,drop=response:1 http https://www.example.com/bytes/1000 --compare \
      --requests 8 --concurrency 8        one lost packet: every HTTP/2 stream waits, one HTTP/3 stream
  netlab --link rtt=40ms,loss=2% http https://www.example.com/bytes/1000 --compare \
      --requests 8 --concurrency 8 --runs 20       p50/p90/p99 and streams delayed per lost packet
  netlab http https://cdn.example.net/cache/max-age/60 --sandbox --requests 5
                                                 what the CDN's cache did per response; the hit ratio
  netlab http https://cdn.example.net/api/items --sandbox --requests 30 --rate 20/s
                                                 allowed and limited (429) per second, Retry-After and RateLimit
  netlab http https://cdn.example.net/cache/max-age/60 --sandbox -X PURGE   drop what the CDN stored

The sandbox serves /, /bytes/N, /delay/MS, /headers and /objects/K on every TLS host, over HTTP/1.1 and HTTP/2 (TCP 443) and HTTP/3 (UDP 443), with an Alt-Svc header. A response with Cache-Status (RFC 9211) gets a line saying what the cache did (hit, miss, stale, revalidated, collapsed, not cacheable; its age of which lifetime, and which field set it); one with RateLimit fields or a 429, what they said. After each protocol's summary, the edge's tally: the hit ratio, and with --rate the requests allowed and limited per second and the first 429's Retry-After and RateLimit explained. Certificate checks are never skipped. Exit status: 0 when every response arrived, 1 if a certificate check failed, 4 if a fetch failed (refused, timed out, reset, malformed: the trace's outcome names the phase).

Coming from curl: -o, -H, -I, -k, --cacert, --connect-to and --max-time (-m, fractions allowed) are curl's. --http2 is --h2; --http3 and --http3-only are --h3, which never falls back to HTTP/2 as curl's --http3 does (a QUIC failure is the answer). --resolve HOST:PORT:ADDR is --connect-to HOST:PORT:ADDR:PORT; -X GET, -X HEAD (-I) and -X PURGE (--purge) work, and -s (netlab has no progress meter). -w FORMAT writes curl's variables after the trace, one line per fetch, from netlab's phases; over HTTP/3, time_connect is when the server's first flight arrived and time_appconnect when the QUIC handshake was done. -v adds the request and response header lines as curl -v prints them, on standard error. -L, -d and --http1.1 are refused in one line naming what netlab does.";

#[derive(Debug, Args)]
pub struct HttpArgs {
    /// https://HOST[:PORT]/PATH
    pub url: String,
    /// HTTP/2 over TCP + TLS (ALPN h2): the default
    #[arg(long, conflicts_with_all = ["h3", "compare"])]
    pub h2: bool,
    /// HTTP/3 over QUIC (UDP)
    #[arg(long, conflicts_with = "compare")]
    pub h3: bool,
    /// Fetch over both, one after the other, and compare them phase by phase
    #[arg(long)]
    pub compare: bool,
    /// Write the (first) body to FILE; '-' for standard output (otherwise bodies are only counted)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Make the missing folders of -o, --qlog and --keylog (0700), as curl's --create-dirs
    #[arg(long)]
    pub create_dirs: bool,
    /// Write the TLS secrets of every connection to FILE (NSS key log, 0600): Wireshark, or
    /// netlab pcap --keylog, decrypts a capture of the fetch with it (HTTP/3's QUIC packets too)
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    /// Extra request header, 'Name: value' (repeatable)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// HEAD instead of GET: the response head only
    #[arg(short = 'I', long = "head")]
    pub head: bool,
    /// Connect to another host and port than the URL's (curl's HOST1:PORT1:HOST2:PORT2; empty
    /// HOST1 or PORT1 match any), keeping the URL's name for SNI and the certificate check
    #[arg(long, value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Option<String>,
    /// Also trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not let a failed certificate check stop the connection (shown loudly)
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Send this many requests over the one connection (also --repeat)
    #[arg(long, alias = "repeat", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub requests: u32,
    /// At most this many requests in flight at once (streams in parallel)
    #[arg(long, value_name = "C", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// Pace the requests: N per WINDOW (20/s, 20/1s, 5/100ms), request i sent i*WINDOW/N after
    /// the first; shows allowed and limited (429) requests per second and what the RateLimit
    /// fields said
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_request_rate)]
    pub rate: Option<(u32, u64)>,
    /// With --rate: send the requests in groups of K back to back, the groups K*WINDOW/N apart
    /// (the same mean rate)
    #[arg(long, value_name = "K", requires = "rate", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub burst: Option<u32>,
    /// Send PURGE instead of GET: a CDN started with purge on drops what it stored for the URL
    /// (curl's -X PURGE)
    #[arg(long, conflicts_with = "head")]
    pub purge: bool,
    /// Limit on each phase (connect, handshake, each response, each piece of body), in ms
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
    /// Connect a second time, resuming the TLS session with the first connection's ticket; over
    /// HTTP/3 the request then goes as 0-RTT data when the server's ticket allows
    #[arg(long)]
    pub resume: bool,
    /// Write a qlog of the (first) HTTP/3 connection to FILE (JSON-SEQ, open it in qvis), 0600
    #[arg(long, value_name = "FILE")]
    pub qlog: Option<PathBuf>,
    /// Limit on the whole fetch, per protocol, in seconds, fractions allowed (curl's --max-time, -m)
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub max_time: f64,
    /// With --compare and --link: repeat the comparison K times, each run with the link's next
    /// seed (HTTP/2 and HTTP/3 under the same one), plus one run without losses; shows p50, p90
    /// and p99 of the request times and how many streams each lost packet delayed
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Congestion control: the kernel's for HTTP/2's TCP, quinn's of the same family for
    /// HTTP/3 (cubic, reno, bbr); default: the system's and quinn's (CUBIC)
    #[arg(long, value_name = "ALGORITHM", value_parser = crate::packet::congestion::CongestionControl::parse)]
    pub cc: Option<crate::packet::congestion::CongestionControl>,
    // curl's spellings (the habits block: keep these together, at the end).
    /// After the trace, write FORMAT filled from each fetch's phases, as curl's -w does:
    /// %{time_namelookup}, %{time_connect}, %{time_appconnect}, %{time_starttransfer},
    /// %{time_total} (seconds from the start, 6 decimals), %{http_version}, %{size_download},
    /// %{speed_download}, %{http_code}, %{response_code}, %{num_connects}, %{url_effective};
    /// \n, \t and %% as in curl
    #[arg(short = 'w', long = "write-out", value_name = "FORMAT")]
    pub write_out: Option<String>,
    /// Also write the request and response header lines as curl -v prints them ('> GET /
    /// HTTP/2', '< HTTP/2 200', ...), from the HEADERS frames the trace decoded, to standard
    /// error as curl does
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

const PCAP_HELP: &str = "\
Examples:
  netlab pcap captures/dns-walk.pcap                  one line per packet
  netlab pcap captures/tcp-handshake.pcap --streams   each TCP connection: handshake, RTT, teardown, TIME_WAIT
  netlab pcap captures/quic-initial.pcap -v           every layer; a QUIC Initial decrypted step by step
  netlab pcap captures/tls13-handshake.pcap --keylog captures/tls13-handshake.keylog
                                                      the TLS 1.3 handshake decrypted, as netlab tls shows it
  netlab pcap captures/http3-fetch.pcap --keylog captures/http3-fetch.keylog --proto quic
                                                      an HTTP/3 fetch: every QUIC packet decrypted, its frames named
  netlab pcap big.pcapng --port 53 -c 20              filters: --host, --port, --proto
  tcpdump -w - ... | netlab pcap -                    read standard input

Link types: Ethernet, Linux cooked (SLL, SLL2), BSD loopback (NULL), raw IP. TCP sequence numbers are shown relative to each side's first, as Wireshark does. A frame cut by the snap length is decoded as far as it goes and marked. Exit status: 0, 1 if the file ended in the middle of a record, 2 if it is not a capture.

Coming from tshark or tcpdump: -r FILE, -T json (--json), -V (-v; after pcap it is not --version), -c N, -n (netlab never looks names up), and a filter as -Y 'EXPR', -f 'EXPR' or a trailing tcpdump expression, for what --proto, --host and --port say: dns, tls, quic, bgp, tcp, udp, icmp, arp, ip, ipv6, tcp.port == N, udp.port == N, ip.addr == IP, host IP, port N, tcp port N, joined by 'and'. Anything else (or, not, src, dst) is refused in one line.";

#[derive(Debug, Args)]
pub struct PcapArgs {
    /// A pcap or pcapng file ('-' for standard input)
    pub file: PathBuf,
    /// Decrypt the TLS 1.3 and 1.2 connections and QUIC packets in the capture with this NSS
    /// key log (netlab tls --keylog, netlab http --keylog, SSLKEYLOGFILE of curl and browsers)
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
    #[command(flatten)]
    pub show: PacketShow,
}

/// Which frames to show, and how: shared by `pcap` and `capture`.
#[derive(Debug, Args)]
pub struct PacketShow {
    /// Stop after showing N frames
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub count: Option<u64>,
    /// Only frames from or to this address
    #[arg(long, value_name = "IP")]
    pub host: Option<std::net::IpAddr>,
    /// Only frames from or to this port
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Only this protocol (a layer the frame has, or its transport)
    #[arg(long, value_name = "PROTO", ignore_case = true, value_parser = [
        "ethernet", "arp", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6", "dns", "tls", "quic", "http", "bgp",
    ])]
    pub proto: Option<String>,
    /// Every layer's fields under each frame (and QUIC Initial decryption step by step)
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// After the frames, each TCP connection: handshake and RTT, data, retransmissions, teardown
    #[arg(long)]
    pub streams: bool,
}

const CAPTURE_HELP: &str = "\
Examples:
  sudo netlab capture -i lo --port 53 -c 10            ten DNS packets on loopback, decoded live
  sudo netlab capture -i lo -w out.pcap --for 5        and keep them (pcap, 0600, written as it goes)

Live capture needs root or CAP_NET_RAW: sudo setcap cap_net_raw+ep $(which netlab)";

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The interface to capture on
    #[arg(short = 'i', long = "interface", value_name = "IFACE", default_value = "lo")]
    pub interface: String,
    /// Also write the frames to this pcap file (0600), as they arrive
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    pub write: Option<PathBuf>,
    /// Stop after this many seconds
    #[arg(long = "for", value_name = "SECONDS")]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub show: PacketShow,
}

const EDGE_HELP: &str = "\
Examples:
  python3 -m http.server 8000 --bind 127.0.0.1 &
  netlab edge --listen 127.0.0.1:8080 --origin http://127.0.0.1:8000 &
  curl -v http://127.0.0.1:8080/     a miss: the origin answers
  curl -v http://127.0.0.1:8080/     again: what the cache did is in Age and Cache-Status
  netlab --json edge --listen 127.0.0.1:8080 --origin http://127.0.0.1:8000 --for 60

The cache is a shared one (RFC 9111 §1: it serves many clients), starts empty and applies no TTL of its own. Every method, target, field and body is passed on unchanged, except the hop-by-hop fields (Connection and what it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade: RFC 9110 §7.6.1), removed both ways, and a `Via` hop, added both ways (§7.6.3): `1.1 netlab`, or `1.0 netlab` for a message that came in HTTP/1.0 (python's http.server answers so). Host goes to the origin as the client sent it. Responses up to 8 MiB are given to the cache; bigger ones stream through unstored. When the origin refuses the connection the client gets 502, when it is silent for 30 s 504, and when it closes the connection early the client's is closed too (but 504 when a stored must-revalidate response was being revalidated: RFC 9111 §5.2.2.2).

1xx: the origin's interim responses (102, 103 Early Hints) are relayed to HTTP/1.1 clients before the final response (RFC 9110 §15.2); `100 Continue` is the edge's own (when the request body is read; Expect is forwarded too). Upgrades (WebSocket) are not passed on. Listens, and reaches the origin, on loopback only. One line per request (method, target, status, the cache's verdict from Cache-Status); stops after --for or on Ctrl-C/SIGTERM.";

const TCP_HELP: &str = "\
Examples:
  sudo netlab tcp www.example.com:9 --sandbox          4 MiB to the sandbox's discard service (RFC 863)
  netlab tcp 127.0.0.1:8080 --send 0                   just the handshake and the close

netlab connects, sends --send octets (read TCP_INFO every 64 KiB: the congestion window grows in slow start), closes first (so the client ends in TIME_WAIT), and shows the socket's state after. As root on loopback it also captures the connection and shows every segment and the story of the connection (as netlab pcap --streams does).";

#[derive(Debug, Args)]
pub struct TcpArgs {
    /// HOST:PORT
    pub target: String,
    /// Octets to send (default: 4 MiB to the sandbox's discard port 9, else 0)
    #[arg(long, value_name = "BYTES")]
    pub send: Option<u64>,
    /// Timeout for connecting and for the peer's close, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub timeout: u64,
    /// Congestion control for the connection (cubic, reno, bbr: what the kernel offers);
    /// default: the system's
    #[arg(long, value_name = "ALGORITHM", value_parser = crate::packet::congestion::CongestionControl::parse)]
    pub cc: Option<crate::packet::congestion::CongestionControl>,
}

#[derive(Debug, Subcommand)]
pub enum TlsAction {
    /// Accept TLS connections and show what each client offers: its ClientHello, JA3 and JA4
    #[command(
        after_help = "Example:\n  netlab tls serve --count 1 &\n  curl --cacert ~/.local/share/netlab/serve-root-ca.pem https://localhost:8443/\n\nThe certificate (for localhost) comes from a fresh CA made at start, whose root is written beside the progress file and printed at start. Listens on loopback only."
    )]
    Serve(TlsServeArgs),
}

#[derive(Debug, Args)]
pub struct TlsServeArgs {
    /// Loopback address and port to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8443")]
    pub listen: std::net::SocketAddr,
    /// Stop after this many completed handshakes (a failed one is shown but not counted, so a
    /// client can try again)
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    /// Stop after this many seconds
    #[arg(long = "for", value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// Serve this certificate chain (PEM) instead of one from a fresh CA
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key (PEM) of --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
}

/// `netlab edge`.
#[derive(Debug, Args)]
pub struct EdgeArgs {
    /// Loopback address and port to listen on
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,
    /// The origin: http://127.0.0.1:PORT (or [::1], or localhost), nothing else
    #[arg(long, value_name = "URL")]
    pub origin: String,
    /// Stop after this many seconds instead of waiting for Ctrl-C
    #[arg(long = "for", value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// The cache's capacity in bytes (stored bodies and heads)
    #[arg(long, value_name = "N", default_value_t = 64 << 20)]
    pub max_bytes: usize,
    /// Limit each client address to N requests per window (10/1s, 100/60s): 429 with
    /// Retry-After beyond it, RateLimit fields on every response
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_rate_policy)]
    pub limit: Option<(u32, u64)>,
    /// Answer PURGE requests here: they remove what is stored for their URL (without it, PURGE
    /// goes to the origin like any method)
    #[arg(long)]
    pub purge: bool,
    /// With --limit: the algorithm (fixed-window, sliding-log, sliding-window, token-bucket, gcra)
    #[arg(long, value_name = "NAME", default_value = "gcra", requires = "limit")]
    pub algorithm: String,
    /// Challenge every client first: a request without the cookie the edge gave its address is
    /// answered 403 with that cookie set (a browser retries with it; a flood tool without
    /// cookies never passes)
    #[arg(long)]
    pub challenge: bool,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Start the sandbox's servers and keep them running until Ctrl-C (or SIGTERM)
    #[command(
        after_help = "Examples:\n  netlab sandbox up                  servers on ephemeral loopback ports (see the address book)\n  sudo netlab sandbox up --bind-127  each server on 127.0.53.x port 53: then\n                                     dig +trace @127.0.53.1 www.example.com walks the same world\n  sudo netlab --link rtt=40ms sandbox up\n                                     the servers behind an emulated link, on their own addresses;\n                                     it prints how to run dig, curl and openssl through the link:\n                                     nsenter --net=/proc/PID/fd/N dig @198.51.100.53 www.example.com\n\nZones: labs/sandbox/zones/*.zone (built in; read them to see what each case holds)."
    )]
    Up(SandboxUpArgs),
}

#[derive(Debug, Args)]
pub struct SandboxUpArgs {
    /// Give each server its own 127.0.53.x address on port 53 (needs root or CAP_NET_BIND_SERVICE)
    #[arg(long = "bind-127")]
    pub bind_127: bool,
    /// Stop after this many seconds instead of waiting for Ctrl-C
    #[arg(long = "for", value_name = "SECONDS")]
    pub duration: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum LabCommand {
    /// The labs, their length, and your progress
    List,
    /// Show a lab's annotated write-up (in a pager on a terminal)
    Show(LabId),
    /// Work through a lab interactively; resumes where you left off (--exercise: lay out a
    /// code exercise's project instead)
    Start(LabStartArgs),
    /// Grade an answers file (question-id = "answer" per line), or a code exercise's solution
    /// (--exercise); exit 0 only if all are right
    Check(LabCheckArgs),
    /// The next hint for the question you are on
    Hint(LabId),
    /// Your progress: every lab in a line, or one lab question by question
    Progress(LabProgressArgs),
    /// Forget your answers, hints and traces for a lab (asks first on a terminal)
    Reset(LabResetArgs),
}

#[derive(Debug, Args)]
pub struct LabProgressArgs {
    /// One lab, shown step by step and question by question (right at the first try, after
    /// tries or hints, revealed, open)
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct LabResetArgs {
    /// The lab's id, e.g. 04-cidr (see 'netlab lab list')
    pub id: String,
    /// Do not ask first
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct LabId {
    /// The lab's id, e.g. 04-cidr (see 'netlab lab list')
    pub id: String,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Code exercises (lab 07-rate-limiting: cidr-contains, ttl-cache, rate-limiter):\n  netlab lab start 07-rate-limiting --exercise ttl-cache      writes a Cargo project in ./ttl-cache\n  netlab lab check 07-rate-limiting --exercise ttl-cache      runs netlab's checks on it"
)]
pub struct LabStartArgs {
    /// The lab's id, e.g. 01-dns (see 'netlab lab list')
    pub id: String,
    /// Run the steps' commands against the real internet instead of the sandbox
    #[arg(long, conflicts_with = "exercise")]
    pub internet: bool,
    /// Start one of the lab's code exercises instead: write a Cargo project with the skeleton
    /// (signatures and doc comments) and the checks, for you to fill in
    #[arg(long, value_name = "NAME")]
    pub exercise: Option<String>,
    /// Where the exercise's project goes [default: ./NAME]
    #[arg(long, value_name = "DIR", requires = "exercise")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 if every answer is right (every check passes), 1 if not, 2 on bad input.\n\nCode exercises: netlab lab check 07-rate-limiting --exercise ttl-cache [--dir DIR] builds DIR/src/lib.rs with netlab's own copy of the checks (cargo test --offline, std only) and explains each failure."
)]
pub struct LabCheckArgs {
    /// The lab's id
    pub id: String,
    /// TOML file of answers: question-id = "answer"
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "exercise",
        conflicts_with = "exercise"
    )]
    pub answers: Option<PathBuf>,
    /// Run the steps' commands against the real internet instead of the sandbox
    #[arg(long, conflicts_with = "exercise")]
    pub internet: bool,
    /// Check a code exercise's solution instead of answers
    #[arg(long, value_name = "NAME")]
    pub exercise: Option<String>,
    /// The exercise's project [default: ./NAME]
    #[arg(long, value_name = "DIR", requires = "exercise")]
    pub dir: Option<PathBuf>,
    /// Stop building and testing the exercise after this many seconds (a deadlock, an endless
    /// loop)
    #[arg(long, value_name = "SECONDS", default_value_t = 120, requires = "exercise", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum CidrCommand {
    /// Is each address inside the network? Shows the AND of address and mask, bit by bit
    #[command(
        after_help = "Example:\n  netlab cidr contains 192.168.0.0/16 192.168.4.20 10.0.0.1\n\nAn address is inside when (address AND mask) == network. Candidates may also be prefixes (10.1.0.0/16 is inside 10.0.0.0/8). Exit status: 0 if all are inside, 1 if any is not, 2 on bad input."
    )]
    Contains(ContainsArgs),
    /// Network, masks, broadcast, usable hosts and special-purpose blocks of each prefix
    #[command(
        after_help = "Examples:\n  netlab cidr info 10.1.2.3/8        (host bits set: the network is 10.0.0.0/8)\n  netlab cidr info 192.0.2.0/31      (RFC 3021 point-to-point: 2 usable)\n  netlab cidr info fd00::/8 10.0.0.0/255.255.255.0"
    )]
    Info(InfoArgs),
    /// Cut a prefix into equal subnets: by new prefix length, or into at least N subnets
    #[command(
        after_help = "Examples:\n  netlab cidr split 10.0.0.0/24 --prefix 26\n  netlab cidr split 2001:db8::/48 --count 4\n\nOutput lines starting with '#' are comments, so the list can be piped into other netlab cidr commands."
    )]
    Split(SplitArgs),
    /// The fewest prefixes covering exactly the input prefixes (one per line)
    #[command(
        after_help = "Example:\n  printf '10.0.0.0/25\\n10.0.0.128/25\\n' | netlab cidr aggregate\n\nInput: one prefix or address per line; '#' starts a comment; blank lines are skipped."
    )]
    Aggregate(ListArgs),
    /// Every pair of input prefixes that overlap, and which contains which
    #[command(
        after_help = "Example:\n  netlab cidr overlap firewall-allow.txt\n\nInput: one prefix or address per line; '#' starts a comment; blank lines are skipped."
    )]
    Overlap(ListArgs),
    /// The address space left after removing prefixes, as the fewest prefixes
    #[command(
        after_help = "Examples:\n  netlab cidr exclude 10.0.0.0/8 --minus 10.1.0.0/16\n  netlab cidr exclude 0.0.0.0/0 --minus 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16\n  netlab cidr exclude ::/0 --minus fc00::/7 fe80::/10"
    )]
    Exclude(ExcludeArgs),
    /// Print input lines that contain an address inside the ranges (like grepcidr)
    #[command(after_help = MATCH_HELP)]
    Match(MatchArgs),
}

const MATCH_HELP: &str = "\
What counts as an address (grepcidr 2.0's rules, so the two print the same lines):
  IPv4: four decimal numbers 0-255 joined by dots, no leading zeros, as a whole 'field' of
        letters, digits and dots. Found: 1.2.3.4  1.2.3.4:80  ip=1.2.3.4,  x1.2.3.4
        Not found: 1.2.3.4. (full stop)  1.2.3.4a  01.2.3.4  1.2.3.4.5  1.2.3
  IPv6: RFC 4291 text in a field of letters, digits, ':' and '.'. Found: 2001:db8::1
        [2001:db8::1]:443  fe80::1%eth0 (as fe80::1)  ::ffff:10.1.2.3 (IPv4-mapped, as IPv6)
  Only families that have ranges are looked for: with IPv4 ranges only, ::ffff:10.1.2.3 is
  text and the 10.1.2.3 inside it is found as IPv4.

Ranges file: one prefix (10.0.0.0/8), address (192.0.2.1) or range (192.0.2.10-192.0.2.20) per line; '#' comments and blank lines are skipped; a bad line is an error naming its number.

Lines longer than 4 MiB are skipped and counted (see --stats). With several input files each printed line starts with its file name and ':'.

Exit status: 0 if a line was printed (or counted), 1 if none, 2 on bad input, 3 on I/O errors.

Examples:
  netlab cidr match -f office.txt /var/log/nginx/access.log
  netlab cidr match --first -e 10.0.0.0/8,192.168.0.0/16 access.log
  netlab cidr match -c -v -e 2001:db8::/32 < connections.txt";

#[derive(Debug, Args)]
pub struct ContainsArgs {
    /// The network, e.g. 10.0.0.0/8 or 2001:db8::/32
    pub network: String,
    /// Addresses (or prefixes) to test
    #[arg(required = true, value_name = "ADDRESS")]
    pub addresses: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Prefixes: ADDRESS/LENGTH, ADDRESS/NETMASK, or a bare address
    #[arg(required = true, value_name = "PREFIX")]
    pub prefixes: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("by").required(true).args(["prefix", "count"])))]
pub struct SplitArgs {
    /// The prefix to split
    pub network: String,
    /// New prefix length of every subnet
    #[arg(long, value_name = "LEN")]
    pub prefix: Option<u8>,
    /// At least this many equal subnets (rounded up to a power of two)
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Refuse to list more subnets than this
    #[arg(long, value_name = "N", default_value_t = 65_536)]
    pub max: u64,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// File with one prefix per line; '-' or nothing reads standard input
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExcludeArgs {
    /// The address space to start from
    #[arg(required = true, value_name = "PREFIX")]
    pub from: Vec<String>,
    /// Prefixes to remove from it
    #[arg(long, required = true, num_args = 1.., value_name = "PREFIX")]
    pub minus: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("ranges").required(true).multiple(true).args(["range_files", "patterns"])))]
pub struct MatchArgs {
    /// File of ranges to match against (repeatable)
    #[arg(short = 'f', long = "file", value_name = "RANGES")]
    pub range_files: Vec<PathBuf>,
    /// Ranges on the command line, separated by commas or spaces (repeatable)
    #[arg(short = 'e', long = "regexp", value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Files to search; none or '-' reads standard input
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Only the first address in a line decides (the client address of an access log)
    #[arg(long)]
    pub first: bool,
    /// Print lines that have an address, but none inside the ranges
    #[arg(short = 'v', long)]
    pub invert: bool,
    /// With -v, also print lines that have no address at all
    #[arg(short = 'i', long, requires = "invert")]
    pub include_no_address: bool,
    /// Print only the number of matching lines
    #[arg(short = 'c', long)]
    pub count: bool,
    /// Print lines read, matched, without an address and too long, to stderr
    #[arg(long)]
    pub stats: bool,
    /// Threads deciding lines, 1 to 256 (default: the available parallelism); output order
    /// is the input's whatever the number
    #[arg(short = 'j', long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}
