#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS, one after the other (one libFuzzer process
# at a time). Prints each target's executions (libFuzzer's stat::number_of_executed_units) and
# crashes; exits non-zero when any target crashed, timed out, ran out of memory or did not run.
#
#   bash fuzz/run.sh SECONDS [TARGET...]      (every target when none is named)
#
# Needs a nightly toolchain and cargo-fuzz (cargo install cargo-fuzz --locked). Each target
# starts from a temporary copy of its seeds in fuzz/corpus/TARGET, so what it finds does not
# grow the repository; inputs that crash are kept in fuzz/artifacts/TARGET/ (ignored by git).
# Built without a sanitizer (netlab is safe Rust: what a fuzzer finds here is a panic) and with
# debug assertions, so integer overflow panics as in a debug build. FUZZ_ARGS adds libFuzzer
# options.
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: bash fuzz/run.sh SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
build=(--sanitizer none --debug-assertions)
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

if [ "${#targets[@]}" -eq 1 ]; then
    cargo +nightly fuzz build "${build[@]}" "${targets[0]}"
else
    cargo +nightly fuzz build "${build[@]}"
fi

bin=target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-14s %14s %10s %8s  %s\n' target executions "execs/s" crashes result
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "artifacts/$t"
    if [ -d "corpus/$t" ]; then
        cp -r "corpus/$t/." "$work/$t/"
    fi
    before=$(find "artifacts/$t" -type f | wc -l)
    set +e
    # The binary the build made, run as is: `cargo fuzz run` would rebuild first whenever a
    # source file changed since, and the targets should be the ones just built.
    # shellcheck disable=SC2086
    "$bin/$t" "$work/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$work/$t.log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -1)
    crashes=$(( $(find "artifacts/$t" -type f | wc -l) - before ))
    if [ "$status" -eq 0 ] && [ -n "$execs" ] && [ "$crashes" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $status)"
        failed+=("$t")
        # What libFuzzer said about it: the panic or the limit, and the input it saved.
        grep -E "panicked|ERROR: libFuzzer|SUMMARY|Test unit written|deadly signal|out-of-memory|timeout" \
            "$work/$t.log" | head -20 >&2 || tail -20 "$work/$t.log" >&2
    fi
    printf '%-14s %14s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes" "$result"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAIL: ${failed[*]}" >&2
    exit 1
fi
