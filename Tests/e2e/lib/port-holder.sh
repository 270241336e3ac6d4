# shellcheck shell=sh
# One loopback port held by Tests/e2e/lib/port-holder.py for a whole test (sourced; the
# caller sets $here to Tests/e2e). A port probed free and bound again later can be taken in
# between by another process; this one is bound once and never let go.
#
#   holder_start STATUS [-- COMMAND...]   bind a free port (refusing connections):
#                                         HOLDER_PORT, HOLDER_PID
#   holder_silent                         accept connections, never answer
#   holder_serve                          serve each connection with COMMAND (stdin/stdout)
#   holder_wait PATTERN [SECONDS]         until a STATUS line matches (default 30 s)
#   holder_stop                           close the port, wait for the holder (idempotent)

holder_start () {
	HOLDER_STATUS=$1
	shift
	: >"$HOLDER_STATUS"
	python3 "$here/lib/port-holder.py" "$HOLDER_STATUS" "$@" &
	HOLDER_PID=$!
	holder_wait '^port [0-9][0-9]*$' || return 1
	HOLDER_PORT=$(sed -n 's/^port //p' "$HOLDER_STATUS")
}

holder_wait () {
	_hw=0
	until grep -q "$1" "$HOLDER_STATUS"; do
		kill -0 "$HOLDER_PID" 2>/dev/null || { printf 'port-holder: exited before "%s"\n' "$1" >&2; return 1; }
		_hw=$((_hw + 1))
		[ "$_hw" -lt $((${2:-30} * 20)) ] || { printf 'port-holder: no "%s" after %s s\n' "$1" "${2:-30}" >&2; return 1; }
		sleep 0.05
	done
}

holder_silent () { kill -USR1 "$HOLDER_PID" && holder_wait '^silent$'; }
holder_serve () { kill -USR2 "$HOLDER_PID" && holder_wait '^serving$'; }

holder_stop () {
	if [ -n "${HOLDER_PID:-}" ]; then
		kill -TERM "$HOLDER_PID" 2>/dev/null || :
		wait "$HOLDER_PID" 2>/dev/null || :
		HOLDER_PID=
	fi
}
