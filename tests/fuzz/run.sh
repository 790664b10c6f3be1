#!/bin/sh
# run.sh BUILD SECONDS [TARGET...] — runs each libFuzzer target in BUILD
# (default: every BUILD/fuzz_*) for SECONDS on a work copy of its seed
# corpus (BUILD/corpus/NAME, seeded from tests/fuzz/corpus/NAME, so new
# inputs never land in the tree), with its dictionary if there is one.
# Crashes go to BUILD/artifacts/. Prints one line per target with its
# executions (libFuzzer's stat::number_of_executed_units); exits 1 if any
# target found a crash, leak, timeout or sanitizer report.
set -u
build=${1:-build/fuzz}
secs=${2:-60}
shift 2 2>/dev/null || shift $#
here=$(dirname "$0")
targets=${*:-$(ls "$build" 2>/dev/null | grep '^fuzz_' | grep -v '\.' )}
mkdir -p "$build/artifacts" "$build/logs"
status=0
summary=""
for t in $targets; do
    name=${t#fuzz_}
    bin="$build/fuzz_$name"
    [ -x "$bin" ] || { echo "fuzz: no target $bin" >&2; status=1; continue; }
    work="$build/corpus/$name"
    mkdir -p "$work"
    [ -d "$here/corpus/$name" ] && cp -R "$here/corpus/$name/." "$work/"
    dict=""
    [ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
    log="$build/logs/$name.log"
    # close_fd_mask=3: the code's own log lines are not the point; libFuzzer
    # and the sanitizers still report on their own copy of stderr.
    "$bin" -max_total_time="$secs" -print_final_stats=1 -close_fd_mask=3 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$build/artifacts/$name-" $dict "$work" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    corp=$(ls "$work" | wc -l)
    if [ $rc -ne 0 ] || grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'ERROR: libFuzzer' -e 'ERROR: LeakSanitizer' "$log"; then
        status=1
        line=$(printf '%-20s FAIL (exit %d) after %s executions; see %s' "$name" "$rc" "${execs:-?}" "$log")
        grep -m1 -e 'ERROR:' -e 'runtime error:' "$log" >&2
    else
        line=$(printf '%-20s ok   %10s executions in %ss (%s, corpus %s)' "$name" "${execs:-?}" "$secs" "${cov:-cov: ?}" "$corp")
    fi
    echo "$line"
    summary="$summary$line
"
done
echo "fuzz summary:"
printf '%s' "$summary"
exit $status
