#!/bin/sh
# ssh-run --provision: Packer's shell and file provisioner semantics against a real sshd.
# shellcheck disable=SC2016,SC2015 # JSON carries remote $variables; `a && b || fail` is meant
set -eu
umask 077
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/sshd.sh
. "$here/lib/sshd.sh"
# shellcheck source=Tests/e2e/lib/port-holder.sh
. "$here/lib/port-holder.sh"
work=$(mktemp -d)
cleanup () { sshd_stop; holder_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
sshd_setup "$work"
sshd_start
r="$work/remote"
mkdir -p "$r"
prov () { ssh-run -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$work/kh" --build-name b1 --builder-type alicloud-ecs "$@" root@127.0.0.1 --provision -; }

# inline, environment_vars (quoted as Packer does), PACKER_* and the default shebang (-e)
printf '%s' '{"type":"shell","config":{"inline":["echo \"$PACKER_BUILD_NAME/$PACKER_BUILDER_TYPE/$A/$B\"","false","echo not-reached"],"environment_vars":["A=it'"'"'s a $x","B=2"],"valid_exit_codes":[0]}}' >"$work/p"
_rc=0; prov <"$work/p" >"$work/o" 2>"$work/e" || _rc=$?
[ "$_rc" -eq 1 ] || fail "inline with false gave $_rc"
[ "$(cat "$work/o")" = "b1/alicloud-ecs/it's a \$x/2" ] || fail "inline output: $(cat "$work/o")"
grep -q 'Script exited with non-zero exit status: 1.Allowed exit codes are: \[0\]' "$work/e" || fail "message: $(cat "$work/e")"

# inline_shebang, valid_exit_codes, --prefix lines
printf '%s' '{"type":"shell","config":{"inline":["false","echo went-on; exit 7"],"inline_shebang":"/bin/sh","valid_exit_codes":[0,7]}}' | prov --prefix b1 >"$work/o" 2>"$work/e" || fail "valid_exit_codes: $(cat "$work/e")"
[ "$(cat "$work/o")" = "    b1: went-on" ] || fail "prefixed: $(cat "$work/o")"
grep -q '^==> b1: Provisioning with shell script: inline script (2 lines)$' "$work/e" || fail "ui line: $(cat "$work/e")"

# script with CRLF line ends runs (converted); binary keeps them
printf 'echo one\r\necho "two" \r\n' >"$work/crlf.sh"
printf '{"type":"shell","config":{"script":"%s"}}' "$work/crlf.sh" | prov >"$work/o" || fail "crlf script"
[ "$(cat "$work/o")" = "$(printf 'one\ntwo')" ] || fail "crlf output: $(od -c "$work/o")"
printf '{"type":"shell","config":{"script":"%s","binary":true,"execute_command":"od -c {{.Path}} | grep -c .r"}}' "$work/crlf.sh" | prov >"$work/o" || fail "binary script"
[ "$(cat "$work/o")" -ge 1 ] || fail "binary lost CR"

# scripts run in order; remote_folder + remote_file; skip_clean leaves the file
printf 'echo s1\n' >"$work/s1.sh"; printf 'echo s2\n' >"$work/s2.sh"
printf '{"type":"shell","config":{"scripts":["%s","%s"],"remote_folder":"%s","remote_file":"keep.sh","skip_clean":true}}' "$work/s1.sh" "$work/s2.sh" "$r" | prov >"$work/o" || fail "scripts"
[ "$(cat "$work/o")" = "$(printf 's1\ns2')" ] || fail "scripts order: $(cat "$work/o")"
[ "$(cat "$r/keep.sh")" = "echo s2" ] || fail "skip_clean/remote_file"
# remote_path, cleaned up afterwards
printf '{"type":"shell","config":{"inline":["test -x %s/exact.sh && echo here"],"remote_path":"%s/exact.sh"}}' "$r" "$r" | prov >"$work/o" || fail "remote_path"
[ "$(cat "$work/o")" = here ] || fail "remote_path output"
[ ! -e "$r/exact.sh" ] || fail "script not cleaned up"

# execute_command template with {{.Vars}} {{.Path}}, and env_var_format
printf '%s' '{"type":"shell","config":{"inline":["echo \"$0 $X $1\""],"environment_vars":["X=y"],"execute_command":"{{ .Vars }}sh {{.Path}} arg","env_var_format":"export %s=\"%s\"; "}}' | prov >"$work/o" || fail "execute_command"
case "$(cat "$work/o")" in */script_*.sh\ y\ arg) ;; *) fail "execute_command output: $(cat "$work/o")";; esac
_rc=0; printf '%s' '{"type":"shell","config":{"inline":["true"],"execute_command":"{{.Nope}}"}}' | prov 2>/dev/null || _rc=$?
[ "$_rc" -eq 65 ] || fail "bad template gave $_rc"

# use_env_var_file: variables come from an uploaded file that is removed afterwards
printf '%s' '{"type":"shell","config":{"inline":["echo \"$V\""],"environment_vars":["V=from file"],"use_env_var_file":true,"remote_folder":"'"$r"'"}}' | prov >"$work/o" || fail "use_env_var_file"
[ "$(cat "$work/o")" = "from file" ] || fail "env var file: $(cat "$work/o")"
set -- "$r"/varfile_*
[ ! -e "$1" ] || fail "varfile left behind"

# expect_disconnect: the script's connection is cut (as a reboot would)
kill_session='kill -9 $PPID'
_rc=0; printf '{"type":"shell","config":{"inline":["%s"],"start_retry_timeout":5}}' "$kill_session" | prov 2>/dev/null || _rc=$?
[ "$_rc" -ne 0 ] || fail "disconnect without expect_disconnect succeeded"
printf '{"type":"shell","config":{"inline":["%s"],"expect_disconnect":true,"start_retry_timeout":10}}' "$kill_session" | prov 2>"$work/e" || fail "expect_disconnect: $(cat "$work/e")"

# max_retries: fails once, succeeds on the retry
printf '{"type":"shell","max_retries":2,"config":{"inline":["if [ -e %s/tried ]; then echo second; else touch %s/tried; exit 3; fi"]}}' "$r" "$r" | prov --prefix b1 >"$work/o" 2>"$work/e" || fail "max_retries: $(cat "$work/e")"
grep -q 'retrying with 2 trie(s) left' "$work/e" || fail "retry message: $(cat "$work/e")"
[ "$(cat "$work/o")" = "    b1: second" ] || fail "retry output"

# pause_before and timeout (75)
start=$(date +%s)
printf '%s' '{"type":"shell","pause_before":2,"config":{"inline":["true"]}}' | prov --prefix b1 2>"$work/e" || fail "pause_before"
[ $(($(date +%s) - start)) -ge 2 ] || fail "pause_before did not pause"
grep -q 'Pausing 2s before the next provisioner' "$work/e" || fail "pause message"
start=$(date +%s)
_rc=0; printf '%s' '{"type":"shell","timeout":1,"config":{"inline":["sleep 20"]}}' | prov 2>/dev/null || _rc=$?
[ "$_rc" -eq 75 ] || fail "timeout gave $_rc"
[ $(($(date +%s) - start)) -le 8 ] || fail "timeout too slow"

# start_retry_timeout: the host is down (its port refuses) when the provisioner starts and
# comes up 2 s later, on a port held all along (one let go and bound again could be taken
# in between): the holder hands each connection to `sshd -i` from then on.
holder_start "$work/holder" -- /usr/sbin/sshd -i -e -f "$work/sshd_config" 2>"$work/sshd-i.log" || fail "no port"
(sleep 2; holder_serve) &
bg=$!
daemon_port=$SSHD_PORT
SSHD_PORT=$HOLDER_PORT
printf '%s' '{"type":"shell","config":{"inline":["echo came-up"],"start_retry_timeout":30}}' | prov >"$work/o" 2>"$work/e" || fail "start_retry_timeout: $(cat "$work/e")"
[ "$(cat "$work/o")" = came-up ] || fail "start_retry_timeout output"
wait "$bg" || fail "the held port never served sshd"
holder_stop
SSHD_PORT=$daemon_port

# file: single file into a directory (trailing slash), several sources, a tree, its contents
mkdir -p "$work/tree/sub" "$r/up"
printf 'a\n' >"$work/tree/a.txt"; printf 'b\n' >"$work/tree/sub/b.txt"; chmod 750 "$work/tree/a.txt"
printf '{"type":"file","config":{"source":"%s/tree/a.txt","destination":"%s/up/"}}' "$work" "$r" | prov || fail "file upload"
cmp -s "$work/tree/a.txt" "$r/up/a.txt" || fail "uploaded file differs"
[ "$(stat -c %a "$r/up/a.txt")" = 750 ] || fail "upload mode $(stat -c %a "$r/up/a.txt")"
printf '{"type":"file","config":{"sources":["%s/tree/a.txt","%s/tree/sub/b.txt"],"destination":"%s/multi/"}}' "$work" "$work" "$r" | prov 2>/dev/null && fail "upload into a missing directory must fail"
mkdir -p "$r/multi"
printf '{"type":"file","config":{"sources":["%s/tree/a.txt","%s/tree/sub/b.txt"],"destination":"%s/multi/"}}' "$work" "$work" "$r" | prov || fail "sources"
[ -f "$r/multi/a.txt" ] && [ -f "$r/multi/b.txt" ] || fail "sources not both uploaded"
printf '{"type":"file","config":{"source":"%s/tree","destination":"%s/t1"}}' "$work" "$r" | prov || fail "tree"
[ -f "$r/t1/tree/sub/b.txt" ] || fail "directory without slash must be copied itself"
printf '{"type":"file","config":{"source":"%s/tree/","destination":"%s/t2"}}' "$work" "$r" | prov || fail "tree contents"
[ -f "$r/t2/sub/b.txt" ] && [ ! -e "$r/t2/tree" ] || fail "directory with slash must copy its contents"
# downloads, creating local parents
printf '{"type":"file","direction":"download","config":{"direction":"download","source":"%s/up/a.txt","destination":"%s/dl/x/"}}' "$r" "$work" | prov || fail "download"
cmp -s "$work/tree/a.txt" "$work/dl/x/a.txt" || fail "downloaded file differs"
printf '{"type":"file","config":{"direction":"download","source":"%s/t1/tree","destination":"%s/dl/t"}}' "$r" "$work" | prov || fail "download tree"
[ -f "$work/dl/t/tree/sub/b.txt" ] || fail "downloaded tree"
printf '{"type":"file","config":{"direction":"download","source":"%s/t1/tree/","destination":"%s/dl/c"}}' "$r" "$work" | prov || fail "download contents"
[ -f "$work/dl/c/sub/b.txt" ] || fail "downloaded contents"
_rc=0; printf '{"type":"file","config":{"direction":"download","source":"%s/none","destination":"%s/dl/none"}}' "$r" "$work" | prov 2>/dev/null || _rc=$?
[ "$_rc" -ne 0 ] && [ ! -e "$work/dl/none" ] || fail "missing remote file gave $_rc"
_rc=0; printf '{"type":"file","config":{"direction":"sideways","source":"a","destination":"b"}}' | prov 2>"$work/e" || _rc=$?
[ "$_rc" -eq 65 ] && grep -q 'Direction must be one of: download, upload.' "$work/e" || fail "bad direction gave $_rc"

# A provisioner block as a template has it (no "config"): tmpl-render's defaults, checks and
# durations apply; "only" picks builds and means nothing here.
printf '%s' '{"type":"shell","inline":["echo \"tmpl-form $PACKER_BUILD_NAME $A\""],"environment_vars":["A=1 2"],"pause_before":"1s","max_retries":"1","only":["elsewhere"]}' | prov --prefix b1 >"$work/o" 2>"$work/e" || fail "template form: $(cat "$work/e")"
[ "$(cat "$work/o")" = "    b1: tmpl-form b1 1 2" ] || fail "template form output: $(cat "$work/o")"
grep -q 'Pausing 1s before the next provisioner' "$work/e" || fail "template form: pause_before \"1s\": $(cat "$work/e")"
printf '{"type":"file","source":"%s/tree/a.txt","destination":"%s/tf.txt"}' "$work" "$r" | prov || fail "template form file"
cmp -s "$work/tree/a.txt" "$r/tf.txt" || fail "template form file differs"
_rc=0; printf '%s' '{"type":"shell","inline":["true"],"script":"x.sh"}' | prov 2>"$work/e" || _rc=$?
[ "$_rc" -eq 65 ] && grep -q '^ssh-run: stdin: provisioner: ' "$work/e" || fail "template form with inline and script gave $_rc: $(cat "$work/e")"
printf 'ok\n'
