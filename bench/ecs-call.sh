#!/bin/sh
# Wall time of one ecs-call process (a signed DescribeRegions) against a local endpoint, next
# to one curl process sending the very request ecs-call sends. The peer's request is signed too
# (copied from `ecs-call --dry-run`), so the endpoint checks an HMAC for both; an unsigned
# request would be refused before that check and flatter curl. Runs alternate between the two
# (RUNS each, default 300) so that load on the machine falls on both; medians are printed.
# ecs-call is measured stripped, as `make install` installs it (the unstripped build in
# .build/release starts about 7% slower here). Usage: bench/ecs-call.sh [bin-dir]
set -eu
bindir=$(cd "${1:-.build/release}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 "$here/Tests/e2e/ecs-call-server.py" "$work/log" >"$work/port" &
pid=$!
while [ ! -s "$work/port" ]; do sleep 0.05; done
url="http://127.0.0.1:$(cat "$work/port")"
export ALICLOUD_ENDPOINT="$url" ALICLOUD_REGION=cn-hangzhou HOME="$work"
export ALICLOUD_ACCESS_KEY=LTAI5tE2eKeyId ALICLOUD_SECRET_KEY='e2e-Secret/with+chars='
cp "$bindir/ecs-call" "$work/ecs-call"
strip "$work/ecs-call"
"$work/ecs-call" --dry-run DescribeRegions >"$work/dry.json"
python3 - "$work/ecs-call" "$url" "$work/dry.json" "${RUNS:-300}" <<'PY'
import json, os, statistics, sys, time
from urllib.parse import quote

ecs_call, url, dry, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
params = json.load(open(dry))["parameters"]
query = "&".join(quote(k, safe="-_.~") + "=" + quote(v, safe="-_.~") for k, v in sorted(params.items()))
commands = {
    "ecs-call": [ecs_call, "DescribeRegions"],
    "curl": ["curl", "-s", "-f", "-X", "POST", url + "/?" + query],
}
null = os.open(os.devnull, os.O_WRONLY)

def once(argv):
    start = time.perf_counter_ns()
    child = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, 1)])
    _, status = os.waitpid(child, 0)
    elapsed = time.perf_counter_ns() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench/ecs-call.sh: %s failed" % argv[0])
    return elapsed / 1e6

for name in commands:          # warm the page cache and the endpoint
    for _ in range(10):
        once(commands[name])
times = {name: [] for name in commands}
for _ in range(runs):
    for name, argv in commands.items():
        times[name].append(once(argv))
e, c = statistics.median(times["ecs-call"]), statistics.median(times["curl"])
print("ecs-call median %.2f ms, curl median %.2f ms (the same signed request, %d runs each), ratio %.2fx" % (e, c, runs, e / c))
PY
