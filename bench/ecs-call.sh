#!/bin/sh
# Median wall time of one ecs-call process (signed DescribeRegions) against a local
# endpoint, next to one curl POST to the same endpoint. Usage: bench/ecs-call.sh [bin-dir]
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
"$bindir/ecs-call" DescribeRegions --query 'Regions.Region[0].RegionId' >/dev/null
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-json "$work/h.json" \
		"$bindir/ecs-call DescribeRegions" \
		"curl -s -X POST $url/?Action=DescribeRegions" >/dev/null
	python3 - "$work/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
e, c = r[0]["median"] * 1000, r[1]["median"] * 1000
print("ecs-call median %.1f ms, curl median %.1f ms, ratio %.2fx" % (e, c, e / c))
PY
else
	n=${RUNS:-100}
	t0=$(date +%s%N); i=0; while [ "$i" -lt "$n" ]; do "$bindir/ecs-call" DescribeRegions >/dev/null; i=$((i + 1)); done; t1=$(date +%s%N)
	i=0; while [ "$i" -lt "$n" ]; do curl -s -X POST "$url/?Action=DescribeRegions" >/dev/null; i=$((i + 1)); done; t2=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$n" 'BEGIN { e=(b-a)/n/1e6; k=(c-b)/n/1e6; printf "ecs-call mean %.1f ms, curl mean %.1f ms, ratio %.2fx\n", e, k, e/k }'
fi
