#!/usr/bin/env bash
# Conformance: the HTTP cache test suite behind cache-tests.fyi (github.com/http-tests/cache-tests)
# run against `netlab edge`, on loopback only: the suite's origin server on 127.0.0.1, the edge in
# front of it, the suite's client asking the edge. Prints the pass counts by kind ("required"
# tests a cache must pass, "optimal" ones it should, "check" ones that only record behaviour),
# and the same counts for the reverse-proxy caches whose results the suite ships (results/*.json,
# scored against the same test list), then stops everything it started.
#
# The suite comes from CACHE_TESTS_DIR, a checkout of the repository made beforehand (this script
# never fetches from GitHub). The npm package `http-cache-tests` is not used: its last release
# (0.4.5) is years older than the suite and expects behaviour the current suite has since
# reversed (for example treating an invalid Age as stale rather than ignoring it, RFC 9111 §5.1).
# The suite's npm dependencies are installed in CACHE_TESTS_DIR (`npm install`) when missing.
#
# usage: CACHE_TESTS_DIR=/path/to/cache-tests bench/cache-tests.sh [-g]
#   -g         also print the counts per test group
#   NETLAB     the netlab binary (default: target/release/netlab, built here)
#   RESULTS    where to write the edge's results JSON (default: a temporary file, removed)
set -euo pipefail
export NETLAB_OFFLINE=1
cd "$(dirname "$0")/.."
here=$(pwd)
groups=${1:-}

suite=${CACHE_TESTS_DIR:-}
if [[ -z $suite || ! -f $suite/tests/index.mjs || ! -f $suite/test-engine/cli.mjs ]]; then
    echo "bench/cache-tests.sh: set CACHE_TESTS_DIR to a checkout of github.com/http-tests/cache-tests" >&2
    echo "  (e.g. git clone https://github.com/http-tests/cache-tests.git, once, where GitHub is reachable)" >&2
    exit 2
fi
suite=$(cd "$suite" && pwd)
command -v node > /dev/null || { echo "bench/cache-tests.sh: needs node (18 or later) and npm" >&2; exit 2; }
if [[ ! -d $suite/node_modules/undici ]]; then
    (cd "$suite" && npm install --no-audit --no-fund --omit=dev > /dev/null)
fi

if [[ -z ${NETLAB:-} ]]; then
    cargo build --release --quiet
    NETLAB=target/release/netlab
fi

# Two free loopback ports.
read -r origin_port edge_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_for() {
    for _ in $(seq 100); do
        if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench/cache-tests.sh: nothing listens on 127.0.0.1:$1 ($2); see $3" >&2
    cat "$3" >&2
    exit 1
}

# The suite's server reads its settings as npm would pass them; the preload makes it listen on
# 127.0.0.1 rather than on every address.
(cd "$suite" && exec env npm_config_protocol=http npm_config_port="$origin_port" \
    npm_config_pidfile="$work/server.pid" \
    node --import "file://$here/bench/cache-tests-loopback.mjs" test-engine/server/server.mjs \
    > "$work/server.log" 2>&1) &
pids+=($!)
wait_for "$origin_port" "the suite's server" "$work/server.log"

"$NETLAB" edge --listen "127.0.0.1:$edge_port" --origin "http://127.0.0.1:$origin_port" \
    > "$work/edge.log" 2>&1 &
pids+=($!)
wait_for "$edge_port" "netlab edge" "$work/edge.log"

results=${RESULTS:-$work/netlab.json}
echo "cache-tests from $suite ($(cd "$suite" && git rev-parse --short HEAD 2> /dev/null || echo 'not a git checkout'))"
echo "origin 127.0.0.1:$origin_port, netlab edge 127.0.0.1:$edge_port"
(cd "$suite" && env npm_config_base="http://127.0.0.1:$edge_port" npm_config_id= npm_package_config_id= \
    timeout 900 node --no-warnings test-engine/cli.mjs > "$results")

refs=()
for name in squid varnish nginx apache trafficserver haproxy caddy; do
    [[ -f $suite/results/$name.json ]] && refs+=("$name=$suite/results/$name.json")
done
node "$here/bench/cache-tests-score.mjs" "$suite" $groups "netlab=$results" "${refs[@]}"
[[ -n ${RESULTS:-} ]] && echo "netlab's results: $results"
exit 0
