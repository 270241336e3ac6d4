#!/bin/sh
# Uploads the same file to ecs-sim's OSS three ways and prints throughput
# and peak RSS for each: img-import (multipart, parallel, MD5 + CRC-64 per part),
# curl -T (one signed PUT) and oss2's resumable_upload. Then img-import's peak RSS for
# a 2 GiB and an 8 GiB sparse file. Targets: img-import >= curl -T; RSS < 64 MiB, flat.
# usage: bench/img-import.sh [BINDIR] [SIZE_MiB]   (default 2048; make bench passes BINDIR)
set -eu
umask 077
prog=img-import-bench
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
bindir=
if [ -d "${1:-}" ]; then bindir=$(cd "$1" && pwd); shift; fi
size=${1:-2048}
cd "$repo"
if [ -z "$bindir" ]; then
	# The Makefile's release flags (make all), so this build does not undo it.
	swift build -c release --static-swift-stdlib -Xswiftc -index-ignore-system-modules >/dev/null
	bindir=$repo/.build/release
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/img-import-bench.XXXXXX")
# shellcheck source=scripts/lib/ecs-sim.sh
. "$repo/scripts/lib/ecs-sim.sh"
cleanup () { ecs_sim_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# ecs-sim itself: OSS, ECS and RAM on one port (ImportImage reads the uploaded object).
export ALICLOUD_REGION=cn-hangzhou
ECS_SIM_BIN="$bindir/ecs-sim" ecs_sim_start --profile instant --state "$work/sim" || die "ecs-sim did not start"
port=$ECS_SIM_PORT
ak=$ALICLOUD_ACCESS_KEY
sk=$ALICLOUD_SECRET_KEY
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

disk="$work/disk.raw"
dd if=/dev/urandom of="$disk" bs=1M count="$size" 2>/dev/null
bytes=$(stat -c %s "$disk")
sync
cat "$disk" >/dev/null   # same page-cache state for every run

report () { # name seconds rss_kib
	awk -v n="$1" -v s="$2" -v r="$3" -v b="$bytes" \
		'BEGIN { printf "%-26s %8.1f MB/s %8.2f s  peak RSS %6.1f MiB\n", n, b / s / 1e6, s, r / 1024 }'
}
timed () { # out-file, then the command: writes "seconds rss_kib"
	_out=$1; shift
	sync  # the previous run's writes are on disk, not flushed during this one
	/usr/bin/time -f '%e %M' -o "$_out" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; die "$1 failed"; }
}

# img-import (the whole flow: checks, upload, ImportImage, wait, delete).
timed "$work/t1" "$bindir/img-import" --bucket bench --create-bucket --create-role --image-name bench-a \
	--keep-object --state-dir "$work/state" "$disk"
read -r s m <"$work/t1"; report "img-import (64 MiB x 4)" "$s" "$m"

# curl -T: one PUT, signed with V1 in the shell.
date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
sig=$(printf 'PUT\n\napplication/octet-stream\n%s\n/bench/curl.raw' "$date" | openssl dgst -sha1 -hmac "$sk" -binary | base64)
timed "$work/t2" curl -sf -T "$disk" -H "Date: $date" -H "Content-Type: application/octet-stream" \
	-H "Authorization: OSS $ak:$sig" "http://127.0.0.1:$port/bench/curl.raw"
read -r s m <"$work/t2"; report "curl -T (single PUT)" "$s" "$m"

# oss2 resumable_upload (its defaults: 10 MiB parts, 1 thread; then 4 threads).
for threads in 1 4; do
	timed "$work/t3" python3 -c '
import oss2, sys
b = oss2.Bucket(oss2.Auth(sys.argv[1], sys.argv[2]), sys.argv[3], "bench")
oss2.resumable_upload(b, "oss2.raw", sys.argv[4], store=oss2.ResumableStore(root=sys.argv[5]), num_threads=int(sys.argv[6]))
' "$ak" "$sk" "$ALICLOUD_OSS_ENDPOINT" "$disk" "$work" "$threads"
	read -r s m <"$work/t3"; report "oss2 resumable_upload x$threads" "$s" "$m"
done
rm -f "$disk"
rm -rf "$work/sim/oss/bench/objects"/*

# Peak RSS against file size: 2 GiB and 8 GiB sparse files.
for g in 2 8; do
	truncate -s "${g}G" "$work/sparse.raw"
	timed "$work/t4" "$bindir/img-import" --bucket bench --image-name "bench-sparse-$g" \
		--state-dir "$work/state" "$work/sparse.raw"
	read -r s m <"$work/t4"
	bytes=$((g * 1073741824)); report "img-import sparse ${g} GiB" "$s" "$m"
	rm -f "$work/sparse.raw"
done
