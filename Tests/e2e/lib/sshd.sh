# shellcheck shell=sh disable=SC2034
# A throw-away OpenSSH server for tests, sourced by Tests/e2e/ssh-run*.sh and bench/.
#
#   sshd_setup DIR        host key, client key (DIR/id_ed25519), authorized_keys, config
#   sshd_start            starts sshd on 127.0.0.1 and a free port: SSHD_PORT, SSHD_PID
#   sshd_stop             stops it (idempotent)
#   sshd_skip MESSAGE     prints "skip: MESSAGE" and exits 77: skipped (a missing prerequisite)
#
# The server runs as the caller (root here and in CI: sshd needs /run/sshd, made below),
# with StrictModes and PAM off, and every user's keys in DIR/authorized_keys.

sshd_skip () { printf 'skip: %s\n' "$1"; exit 77; }

sshd_setup () {
	SSHD_DIR=$1
	[ -x /usr/sbin/sshd ] || sshd_skip "no /usr/sbin/sshd (apt-get install openssh-server)"
	[ "$(id -u)" -eq 0 ] || sshd_skip "sshd tests need root (privilege separation)"
	mkdir -p /run/sshd && chmod 755 /run/sshd
	ssh-keygen -q -t ed25519 -N '' -C test-host -f "$SSHD_DIR/host_ed25519" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -C test-client -f "$SSHD_DIR/id_ed25519" >/dev/null
	cp "$SSHD_DIR/id_ed25519.pub" "$SSHD_DIR/authorized_keys"
	SSHD_PORT=
	SSHD_PID=
}

# sshd_config PORT: writes DIR/sshd_config (extra lines from $SSHD_EXTRA, one per line).
sshd_config () {
	cat >"$SSHD_DIR/sshd_config" <<-CONF
	Port $1
	ListenAddress 127.0.0.1
	HostKey $SSHD_DIR/host_ed25519
	PidFile $SSHD_DIR/sshd.pid
	AuthorizedKeysFile $SSHD_DIR/authorized_keys
	StrictModes no
	UsePAM no
	PermitRootLogin yes
	PasswordAuthentication yes
	KbdInteractiveAuthentication no
	MaxStartups 200
	MaxSessions 200
	LogLevel INFO
	Subsystem sftp internal-sftp
	${SSHD_EXTRA:-}
	CONF
}

sshd_free_port () {
	_p=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	printf '%s\n' $((20000 + _p % 40000))
}

# sshd_start [PORT]: starts sshd (on PORT, or a free one, retrying on a busy port).
sshd_start () {
	_tries=0
	while [ "$_tries" -lt 20 ]; do
		_tries=$((_tries + 1))
		_port=${1:-$(sshd_free_port)}
		sshd_config "$_port"
		: >"$SSHD_DIR/sshd.log"
		/usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config" >>"$SSHD_DIR/sshd.log" 2>&1 &
		SSHD_PID=$!
		_w=0
		while [ "$_w" -lt 400 ]; do
			if grep -q 'Server listening' "$SSHD_DIR/sshd.log"; then
				SSHD_PORT=$_port
				return 0
			fi
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.05
			_w=$((_w + 1))
		done
		kill "$SSHD_PID" 2>/dev/null || true
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=
		[ -z "${1:-}" ] || break
	done
	printf 'sshd failed to start:\n' >&2
	cat "$SSHD_DIR/sshd.log" >&2
	return 1
}

sshd_stop () {
	if [ -n "${SSHD_PID:-}" ]; then
		kill "$SSHD_PID" 2>/dev/null || true
		# wait only works for our own child; an sshd started elsewhere is polled
		wait "$SSHD_PID" 2>/dev/null || true
		_w=0
		while kill -0 "$SSHD_PID" 2>/dev/null && [ "$_w" -lt 50 ]; do sleep 0.1; _w=$((_w + 1)); done
		SSHD_PID=
	fi
	return 0
}
