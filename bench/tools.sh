#!/bin/sh
# Size and start time of every installed tool (the Makefile's TOOLS): bytes as built,
# bytes once stripped (what issue 16 measures), and the median wall time of `TOOL --help`
# over RUNS runs (default 21, after 3 warm-up runs), timed by python3 around each spawn.
# Usage: bench/tools.sh [bin-dir]   (make bench passes the release directory)
set -eu
bindir=$(cd "${1:-.build/release}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-21}
tools=$(sed -n 's/^TOOLS = //p' "$here/Makefile")
[ -n "$tools" ] || { echo "bench/tools.sh: $here/Makefile: no TOOLS line" >&2; exit 1; }
command -v strip >/dev/null 2>&1 || { echo "bench/tools.sh: strip: not found (binutils)" >&2; exit 69; }
command -v python3 >/dev/null 2>&1 || { echo "bench/tools.sh: python3: not found" >&2; exit 69; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
total=0 total_stripped=0
for t in $tools; do
	bin="$bindir/$t"
	[ -x "$bin" ] || { echo "bench/tools.sh: $bin: not built" >&2; exit 66; }
	size=$(wc -c <"$bin")
	strip -o "$work/$t" "$bin"
	stripped=$(wc -c <"$work/$t")
	ms=$(python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time
tool, runs = sys.argv[1], int(sys.argv[2])
def once():
    t0 = time.perf_counter()
    r = subprocess.run([tool, "--help"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.exit("bench/tools.sh: %s --help: exit status %d" % (tool, r.returncode))
    return time.perf_counter() - t0
for _ in range(3):
    once()
print("%.1f" % (statistics.median(once() for _ in range(runs)) * 1000))
PY
)
	printf '%-13s %11d bytes  %11d stripped  --help median %6s ms\n' "$t" "$size" "$stripped" "$ms"
	total=$((total + size))
	total_stripped=$((total_stripped + stripped))
done
printf '%-13s %11d bytes  %11d stripped  (%d runs each)\n' "all tools" "$total" "$total_stripped" "$runs"
