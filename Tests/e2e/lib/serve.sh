# A directory served over HTTP on 127.0.0.1 by http-serve, for tests that download from it
# (sourced by Tests/e2e/qemu-*.sh).
#   serve_start DIR   start serving DIR; sets SERVE_PID and SERVE_URL (http://127.0.0.1:PORT)
#   serve_stop        stop it and wait for the exit (idempotent)
SERVE_PID=
SERVE_URL=
serve_start () {
	_sv_fifo=$(mktemp -u "${TMPDIR:-/tmp}/serve.XXXXXX") || return 1
	mkfifo "$_sv_fifo" || return 1
	http-serve --port-min 20000 --port-max 29999 "$1" >"$_sv_fifo" &
	SERVE_PID=$!
	# The port line comes once the server listens (EOF when it could not start).
	_sv_port=
	read -r _sv_port <"$_sv_fifo" || _sv_port=
	rm -f "$_sv_fifo"
	[ -n "$_sv_port" ] || { serve_stop; return 1; }
	SERVE_URL="http://127.0.0.1:$_sv_port"
}
serve_stop () {
	[ -n "$SERVE_PID" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null || :
	wait "$SERVE_PID" 2>/dev/null || :
	SERVE_PID=
}
