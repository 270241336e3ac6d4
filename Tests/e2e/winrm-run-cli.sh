#!/bin/sh
# winrm-run's own behaviour without a Windows host: help, usage, the password variable,
# refused connections, the --wait timeout, and a 401 answered by a stub (never a hang).
# The protocol itself is tested against the emulated endpoint in Tests/EcsSimKitTests.
set -eu
prog=winrm-run-cli
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/port-holder.sh
. "$here/lib/port-holder.sh"
work=$(mktemp -d)
cleanup () {
	holder_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

status () { set +e; "$@" >"$work/out" 2>"$work/err"; _rc=$?; set -e; echo "$_rc"; }

# --help: stdout, exit 0, names every mode.
[ "$(status winrm-run --help)" = 0 ] || die "--help did not exit 0"
grep -q -- '--powershell SCRIPT|-' "$work/out" || die "--help lacks --powershell"
grep -q -- '--ca-file FILE' "$work/out" || die "--help lacks --ca-file"

# Misuse: 64 with the usage line on stderr.
[ "$(status winrm-run --bogus host)" = 64 ] || die "unknown option did not exit 64"
grep -q '^usage: winrm-run' "$work/err" || die "no usage line"
[ "$(status winrm-run --password-env HOME)" = 64 ] || die "missing host did not exit 64"
HOME_PW=x; export HOME_PW
[ "$(status winrm-run --password-env HOME_PW --insecure 127.0.0.1 echo)" = 64 ] || die "--insecure without --https accepted"

# The password only ever comes from the environment.
[ "$(status winrm-run 127.0.0.1 echo hi)" = 78 ] || die "no --password-env did not exit 78"
unset WINRM_E2E_UNSET || :
[ "$(status winrm-run --password-env WINRM_E2E_UNSET 127.0.0.1 echo hi)" = 78 ] || die "unset variable did not exit 78"
grep -q 'WINRM_E2E_UNSET is not set' "$work/err" || die "unclear message for an unset variable"

WINRM_E2E_PW='S3cret-e2e-Pass'; export WINRM_E2E_PW
# One port for the whole test, held from the refusals to the 401 stub (lib/port-holder.py):
# bound, it refuses connections; later each connection gets the 401 answer.
printf 'HTTP/1.1 401 \r\nWWW-Authenticate: Basic realm="WSMAN"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$work/401"
# The stub reads what the client sends until it hangs up (unread input would turn the close
# into a reset, which can cut the answer short).
holder_start "$work/holder" -- sh -c 'cat "$0"; exec cat >/dev/null' "$work/401" || die "no port"
port=$HOLDER_PORT

# Nothing listening: winrm-run's own failure, 255.
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --connect-timeout 2 127.0.0.1 echo hi)" = 255 ] ||
	die "refused connection did not exit 255"

# --wait gives up with 75 after --timeout.
start=$(date +%s)
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --timeout 2 127.0.0.1 --wait)" = 75 ] ||
	die "--wait did not exit 75"
[ $(($(date +%s) - start)) -lt 20 ] || die "--wait overran its timeout"
grep -q 'WinRM not available after 2s' "$work/err" || die "--wait message"

# A host that answers 401 (as Windows does for a wrong password): 77 at once.
holder_serve || die "the 401 stub did not take the port"
start=$(date +%s)
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" 127.0.0.1 echo hi)" = 77 ] || die "401 did not exit 77: $(cat "$work/err")"
grep -q '401 unauthorized' "$work/err" || die "401 message"
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --timeout 30 127.0.0.1 --wait)" = 77 ] ||
	die "--wait kept retrying a 401"
[ $(($(date +%s) - start)) -lt 10 ] || die "401 took too long"
! grep -q "$WINRM_E2E_PW" "$work/err" "$work/out" || die "the password was printed"
printf '%s: ok\n' "$prog"
