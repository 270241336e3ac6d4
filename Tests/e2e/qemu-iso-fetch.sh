#!/bin/sh
# The qemu builder's remote ISO (issue 18): http-serve --fetch downloads iso_urls in order
# into Packer's cache (PACKER_CACHE_DIR, default ./packer_cache; named sha1(TYPE:HEX).iso),
# checked before use, through a temporary name; a second fetch uses the cache (the server
# is stopped by then); a file: checksum list is read over HTTP. Refused, with nothing left in
# the cache: a wrong checksum (65), a 404 (66), a refused connection (69), a TERM in the
# middle of a download (143). alicloud-build -skip-unchanged -dry-run prints a qemu build's
# steps and starts nothing; a remote ISO that does not match fails the build at "Retrieving
# ISO", before QEMU starts.
set -eu
umask 077
prog=qemu-iso-fetch.sh
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.build/debug}
PATH="$BIN:$PATH"
# shellcheck source=Tests/e2e/lib/serve.sh
. "$here/lib/serve.sh"
work=$(mktemp -d)
slow_pid=
fetch_pid=
cleanup () {
	[ -z "$fetch_pid" ] || kill -TERM "$fetch_pid" 2>/dev/null || :
	[ -z "$slow_pid" ] || kill -TERM "$slow_pid" 2>/dev/null || :
	serve_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export HOME="$work" ALICLOUD_BUILD_STATE="$work/state" no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
unset PACKER_CACHE_DIR
expect () { # status, then the command
	_want=$1; shift
	set +e; "$@" >"$work/out" 2>"$work/err"; _got=$?; set -e
	[ "$_got" -eq "$_want" ] || { cat "$work/err" >&2; die "$*: exit $_got, want $_want"; }
}
# only_locks DIR — the cache holds no file but lock files.
only_locks () { [ -z "$(ls -A "$1" 2>/dev/null | grep -v '\.lock$')" ] || die "$1 holds: $(ls -A "$1")"; }

mkdir -p "$work/www" "$work/cache" "$work/cwd"
head -c 3000000 /dev/urandom >"$work/www/installer.iso"
sum=$(sha256sum <"$work/www/installer.iso" | cut -d ' ' -f 1)
printf '%s  installer.iso\n' "$sum" >"$work/www/SHA256SUMS"
entry="$(printf 'sha256:%s' "$sum" | sha1sum | cut -d ' ' -f 1).iso"
serve_start "$work/www" || die "http-serve did not start"
url="$SERVE_URL/installer.iso"

# First fetch: downloaded into the cache, Packer's lines on stderr, the path on stdout.
PACKER_CACHE_DIR="$work/cache" expect 0 http-serve --fetch --checksum "sha256:$sum" --log-prefix '==> t: ' --progress "$url"
[ "$(cat "$work/out")" = "$work/cache/$entry" ] || die "first fetch: $(cat "$work/out"), want $work/cache/$entry"
cmp -s "$work/cache/$entry" "$work/www/installer.iso" || die "the cached file is not the served one"
for line in "==> t: Trying $url" "==> t: Trying $url?checksum=sha256%3A$sum" "==> t: $url?checksum=sha256%3A$sum => $work/cache/$entry"; do
	grep -qxF "$line" "$work/err" || die "no line \"$line\" in: $(cat "$work/err")"
done
grep -q '2\.9 MiB / 2\.9 MiB (100%)' "$work/err" || die "no progress line: $(cat "$work/err")"
[ "$(ls -A "$work/cache" | sort | tr '\n' ' ')" = "$entry $entry.lock " ] || die "cache: $(ls -A "$work/cache")"

# Second fetch: the cache, with nobody serving.
serve_stop
PACKER_CACHE_DIR="$work/cache" expect 0 http-serve --fetch --checksum "sha256:$sum" "$url"
[ "$(cat "$work/out")" = "$work/cache/$entry" ] || die "second fetch: $(cat "$work/out")"

# A connection refused (the server is gone) and a corrupt cache entry: 69, entry removed.
printf 'corrupt' >"$work/cache/$entry"
PACKER_CACHE_DIR="$work/cache" expect 69 http-serve --fetch --checksum "sha256:$sum" "$url"
grep -q "^http-serve: $url: .*[Cc]onnect" "$work/err" || die "refused: $(cat "$work/err")"
only_locks "$work/cache"

# The default cache is ./packer_cache; a file: checksum list is fetched over HTTP and names
# the same entry. iso_urls are tried in order: a missing file, a 404, then the ISO.
serve_start "$work/www" || die "http-serve did not start again"
url="$SERVE_URL/installer.iso"
(cd "$work/cwd" && http-serve --fetch --checksum "file:$SERVE_URL/SHA256SUMS" "$url") >"$work/out" 2>"$work/err" ||
	{ cat "$work/err" >&2; die "fetch with a checksum list failed"; }
[ "$(cat "$work/out")" = "$work/cwd/packer_cache/$entry" ] || die "default cache: $(cat "$work/out")"
PACKER_CACHE_DIR="$work/cache" expect 0 http-serve --fetch --checksum "sha256:$sum" "$work/missing.iso" "$SERVE_URL/gone.iso" "$url"
[ "$(cat "$work/out")" = "$work/cache/$entry" ] || die "in order: $(cat "$work/out")"
grep -qxF "Download failed $work/missing.iso: no such file" "$work/err" || die "no missing-file line: $(cat "$work/err")"
grep -qxF "Download failed $SERVE_URL/gone.iso: HTTP 404 Not Found" "$work/err" || die "no 404 line: $(cat "$work/err")"
rm -f "$work/cache/$entry"

# Secrets stay out of stderr: a password in the URL, a sensitive value in its path.
PACKER_CACHE_DIR="$work/cache" expect 0 http-serve --fetch --checksum "sha256:$sum" --log-prefix '==> t: ' \
	"http://user:pw-$$-secret@${SERVE_URL#http://}/installer.iso"
grep -q "Trying http://user:<redacted>@" "$work/err" && ! grep -q "pw-$$-secret" "$work/err" || die "the URL's password shows: $(cat "$work/err")"
rm -f "$work/cache/$entry"
IMAGE_TOOLS_SENSITIVE="token-$$-value" PACKER_CACHE_DIR="$work/cache" expect 66 http-serve --fetch --sensitive-env IMAGE_TOOLS_SENSITIVE \
	--checksum "sha256:$sum" "$SERVE_URL/token-$$-value.iso"
grep -qxF "http-serve: $SERVE_URL/<redacted>.iso: HTTP 404 Not Found" "$work/err" && ! grep -q "token-$$-value" "$work/err" ||
	die "the sensitive value shows: $(cat "$work/err")"

# A wrong checksum: 65, nothing kept. A 404 alone: 66.
wrong=$(printf '%064d' 0)
PACKER_CACHE_DIR="$work/cache" expect 65 http-serve --fetch --checksum "sha256:$wrong" "$url"
grep -qxF "http-serve: $url: checksums did not match: expected sha256:$wrong, got sha256:$sum" "$work/err" || die "mismatch: $(cat "$work/err")"
only_locks "$work/cache"
PACKER_CACHE_DIR="$work/cache" expect 66 http-serve --fetch --checksum "sha256:$sum" "$SERVE_URL/gone.iso"
grep -qxF "http-serve: $SERVE_URL/gone.iso: HTTP 404 Not Found" "$work/err" || die "404: $(cat "$work/err")"
only_locks "$work/cache"

# A TERM during a download leaves no temporary file: a server that sends slowly.
python3 - "$work/slow.port" <<'PY' &
import http.server, sys, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            for _ in range(1 << 10):
                self.wfile.write(b"x" * 1024)
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was stopped: that is the test
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), Slow)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
slow_pid=$!
while [ ! -s "$work/slow.port" ]; do kill -0 "$slow_pid" 2>/dev/null || die "the slow server did not start"; sleep 0.05; done
PACKER_CACHE_DIR="$work/cache" http-serve --fetch --checksum "sha256:$sum" "http://127.0.0.1:$(cat "$work/slow.port")/slow.iso" >/dev/null 2>"$work/err" &
fetch_pid=$!
while [ -z "$(ls -A "$work/cache" | grep '^\.')" ]; do kill -0 "$fetch_pid" 2>/dev/null || die "the fetch ended early: $(cat "$work/err")"; sleep 0.05; done
kill -TERM "$fetch_pid"
set +e; wait "$fetch_pid"; rc=$?; set -e
fetch_pid=
[ "$rc" -eq 143 ] || die "TERM: exit $rc, want 143"
only_locks "$work/cache"

# alicloud-build -skip-unchanged -dry-run: a qemu build "would build" (exit 1), its steps on
# stderr, nothing downloaded, created or started; from the cache once the ISO is there.
tmpl="$here/templates/qemu-fetch.json"
qemu_left () { for p in /proc/[0-9]*; do grep -qs "$work" "$p/cmdline" && tr '\0' ' ' <"$p/cmdline" | grep -q '^qemu-system' && printf '%s\n' "${p#/proc/}"; done; return 0; }
dry () { PACKER_CACHE_DIR="$work/cache" sh "$repo/scripts/alicloud-build" -skip-unchanged -dry-run -var "iso=$url" -var "iso_checksum=sha256:$sum" -var "out=$work/vm" "$tmpl"; }
expect 1 dry
[ "$(cat "$work/out")" = "fetch: would build" ] || die "dry run: $(cat "$work/out")"
for line in "==> fetch: Would retrieve ISO: $url into $work/cache/$entry (a download, checked before use)" \
	"==> fetch: Would create hard drive: $work/vm/output-fetch/fetch.qcow2 (qcow2, 1G)" \
	"==> fetch: Would start VM: qemu-system-x86_64, accelerator tcg, 1 CPU, 512 MB, booting from CD-ROM" \
	"==> fetch: Would halt the VM with shutdown_command (timeout 5m)"; do
	grep -qxF "$line" "$work/err" || die "dry run: no line \"$line\" in: $(cat "$work/err")"
done
only_locks "$work/cache"
[ ! -e "$work/vm" ] && [ -z "$(qemu_left)" ] && [ ! -e "$work/state/ledgers" ] || die "the dry run made or started something"
PACKER_CACHE_DIR="$work/cache" expect 0 http-serve --fetch --checksum "sha256:$sum" "$url"
expect 1 dry
grep -qxF "==> fetch: Would retrieve ISO: $url from the cache: $work/cache/$entry (checked before use)" "$work/err" || die "dry run, cached: $(cat "$work/err")"
rm -f "$work/cache/$entry"

# alicloud-build: a remote ISO that does not match fails its build at "Retrieving ISO",
# before QEMU starts; nothing is left in the cache or the output directory.
set +e
PACKER_CACHE_DIR="$work/cache" sh "$repo/scripts/alicloud-build" -skip-unchanged -var "iso=$url" -var "iso_checksum=sha256:$wrong" -var "out=$work/vm" "$tmpl" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$work/err" >&2; die "alicloud-build with a wrong checksum: exit $rc, want 1"; }
for line in "==> fetch: -skip-unchanged: a qemu build is always built (the up-to-date check covers alicloud-ecs builds)" \
	"==> fetch: Retrieving ISO" "==> fetch: Trying $url" "==> fetch: Checksum did not match, removing $work/cache/.*" \
	"--> fetch: error downloading ISO: $work/vm/no-local-copy.iso: no such file; $url: checksums did not match: expected sha256:$wrong, got sha256:$sum"; do
	grep -q -- "^$line\$" "$work/err" || die "no line \"$line\" in: $(cat "$work/err")"
done
! grep -q 'Starting VM' "$work/err" && [ -z "$(qemu_left)" ] || die "QEMU started: $(cat "$work/err")"
[ ! -e "$work/vm/output-fetch" ] || die "the output directory was made"
only_locks "$work/cache"
printf '%s: ok\n' "$prog"
