# Shared helpers for the alicloud-build orchestrator (sourced; POSIX sh).
# Callers set: prog, and for a build: name (the log target), ledger, work (a private dir).

die () { printf '%s: %s\n' "$prog" "$1" >&2; exit "${2:-1}"; }

# Packer's UI: Say/Error lines "==> target: text", Message lines "    target: text",
# one prefix per line, on stderr (stdout carries only the artifact block).
# The build's name reaches awk through the environment: a /, & or \ in it is text.
say () { printf '%s\n' "$*" | N="==> $name: " awk '{ print ENVIRON["N"] $0 }' >&2; }
msg () { printf '%s\n' "$*" | N="    $name: " awk '{ print ENVIRON["N"] $0 }' >&2; }

now_ms () {
	_t=$(date +%s%3N 2>/dev/null) || _t=
	case $_t in *N|'') _t=$(( $(date +%s) * 1000 )) ;; esac
	printf '%s\n' "$_t"
}

# Packer's durafmt with the two largest units: "7 seconds 404 milliseconds".
duration () {
	_ms=$1
	_h=$((_ms / 3600000)); _m=$((_ms / 60000 % 60)); _s=$((_ms / 1000 % 60)); _r=$((_ms % 1000))
	_out=
	_n=0
	for _pair in "$_h hour" "$_m minute" "$_s second" "$_r millisecond"; do
		# shellcheck disable=SC2086
		set -- $_pair
		[ "$1" -gt 0 ] || continue
		if [ "$1" -eq 1 ]; then _unit=$2; else _unit="${2}s"; fi
		_out="${_out:+$_out }$1 $_unit"
		_n=$((_n + 1))
		[ "$_n" -lt 2 ] || break
	done
	printf '%s\n' "${_out:-0 milliseconds}"
}

# shell_quote VALUE — VALUE as one single-quoted word for eval, whatever it holds (quotes,
# newlines, a trailing newline): the "." keeps $(...) from eating trailing newlines.
shell_quote () {
	_q=$(printf '%s.' "$1" | sed "s/'/'\\\\''/g")
	printf "'%s'" "${_q%.}"
}

# --- the ledger --------------------------------------------------------------------
# One append-only file per build: "time<TAB>event<TAB>kind<TAB>id<TAB>region<TAB>detail",
# the detail being "key=value" words separated by spaces.
# Events: start, intent (before a create call: detail names its ClientToken or name),
# created, released, kept (a product the build delivered), closed.
# The id, the region and each value are escaped (ledger_escape), so a state directory, an
# object key or a name with spaces, tabs, newlines or backslashes stays whole; a ledger
# written before the escaping reads the same unless one of its values held a backslash.
#
# ledger_add EVENT KIND [ID [REGION [KEY=VALUE...]]]
ledger_add () {
	_la_event=$1 _la_kind=$2 _la_id=${3:--} _la_region=${4:-${region:--}}
	if [ $# -ge 4 ]; then shift 4; else shift $#; fi
	_la_detail=
	for _la_kv in "$@"; do
		_la_detail="${_la_detail:+$_la_detail }${_la_kv%%=*}=$(ledger_escape "${_la_kv#*=}")"
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_la_event" "$_la_kind" \
		"$(ledger_escape "$_la_id")" "$(ledger_escape "$_la_region")" "$_la_detail" >>"$ledger"
}
# ledger_escape VALUE — VALUE with each backslash, space, tab and newline written as \\,
# \0040, \t and \n (printf %b's escapes): one word, one line, whatever VALUE holds.
ledger_escape () {
	_le=$(printf '%s.' "$1" | sed -e ':a' -e '$!N' -e '$!ba' -e 's/\\/\\\\/g' -e 's/ /\\0040/g' \
		-e "s/$(printf '\t')/\\\\t/g" -e 's/\n/\\n/g')
	printf '%s' "${_le%.}"
}
# ledger_value VAR ESCAPED — sets VAR to the value ESCAPED stands for, exactly.
ledger_value () {
	_lv=$(printf '%b.' "$2")
	eval "$1=\${_lv%.}"
}
# ledger_field DETAIL KEY — the escaped value of KEY in a record's detail (the first one).
ledger_field () {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# A ClientToken for one logical create: unique, <= 64 ASCII characters.
client_token () {
	printf 'ait-%s-%s\n' "$(date +%s)" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

random_hex () { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; printf '\n'; }

# --- running tools -------------------------------------------------------------------
# Each tool runs in the background and is waited for, so a TERM reaches the build's trap
# at once (a shell runs traps only between foreground commands); the trap kills $child.
child=
run () {
	"$@" &
	child=$!
	_rc=0
	wait "$child" || _rc=$?
	child=
	return "$_rc"
}

# api [ecs-call options] Action Name=Value... — one signed call; the JSON response goes
# to "$work/out", the error (if any) to "$work/err". Returns ecs-call's status.
# A build outlives throttling: an account-wide request budget shared with other builds can
# throttle many calls in a row, so each call retries for up to 5 minutes (ecs-call's own
# default, 3 retries within a few seconds, fails a build that is merely slowed down).
# The caller's --retries/--timeout, given later, win.
api () {
	_rc=0
	run ecs-call --retries 12 --timeout 300 "$@" >"$work/out" 2>"$work/err" || _rc=$?
	return "$_rc"
}

# The error text of the last failed api call, without the tool prefix.
api_error () { sed 's/^ecs-call: //' "$work/err" | tr '\n' ' ' | sed 's/ *$//'; }

# api_query PATH [ecs-call options] Action ... — prints the queried value.
api_query () {
	_path=$1
	shift
	api --query "$_path" "$@" && cat "$work/out"
}

# --- a build runner's plan (ecs-build.sh, qemu-build.sh) -----------------------------
# Callers set: plan_json (the rendered plan), index (the build's).
# plan PATH [--format F ...] — one value of this build from the rendered plan.
plan () {
	_p=$1
	shift
	printf '%s\n' "$plan_json" | tmpl-render --plan - --query "builds[$index].$_p" "$@"
}
# load_build — name, and every config key as c_<key> (booleans "true"/"false", lists one
# item per line).
load_build () {
	name=$(plan name) || return 1
	_cfg=$(plan config --format sh --sh-prefix c_) || return 1
	eval "$_cfg"
	unset _cfg
}
cfg () { eval "printf '%s' \"\${c_$1-}\""; }
on () { [ "$(cfg "$1")" = true ]; }
# Unset keys arrive empty, or as {} / [] for maps and lists.
has () { case $(cfg "$1") in '' | '{}' | '[]' | null) return 1 ;; esac; }

# --- a build runner's end (ecs-build.sh, qemu-build.sh) ------------------------------
# Callers set: out (the build's directory), status, and define cleanup.
# on_signal N — INT/TERM/HUP: the running tool stopped, cleanup, exit N. The caller keeps its
# own stdout and stderr on fds 8 and 9: a signal can come while a redirected call runs (a
# provisioner's output goes to a filter whose reader a signal to the process group has
# killed), and the cleanup's lines must reach the build's stderr, not that pipe or file.
on_signal () {
	trap '' INT TERM HUP
	exec 1>&8 2>&9
	[ -z "$child" ] || kill -TERM "$child" 2>/dev/null
	say "Cancelling build after receiving interrupt"
	status=$1
	printf '%s\n' "build cancelled" >"$out/error"
	cleanup
	exit "$1"
}
# trap_signals — keeps the build's own stdout and stderr on fds 8 and 9 and sends INT, TERM
# and HUP (the terminal or the SSH session to the build machine closed: as TERM) to on_signal.
trap_signals () {
	exec 8>&1 9>&2
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
}
# fail MESSAGE — a step failed: the build's error, then exit (the EXIT trap cleans up).
fail () {
	say "$1"
	printf '%s\n' "$1" >"$out/error"
	# shellcheck disable=SC2034 # read by the caller's EXIT trap (cleanup; exit "$status")
	status=1
	exit 1
}
