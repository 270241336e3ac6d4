# The provisioner runner of a build (sourced by ecs-build.sh and qemu-build.sh; POSIX sh).
# Callers set: work, name, ptype, and define fail (lib/common.sh gives say and run).

# provision TOOL ARGS... — runs a runner on one provisioner. The runners print Packer's
# "Provisioning with ..." lines and the remote output themselves (--prefix); all of it is
# log, so all of it goes to stderr, in order, as it arrives (one pipe for both streams).
# The runner's own lines ("TOOL: ...") are kept apart: on failure the last one is the build's error, as Packer reports the provisioner's
# (e.g. "Script exited with non-zero exit status: 3.Allowed exit codes are: [0]").
# provision_filter TOOL — copies stdin to stdout line by line as it comes (sh's read does
# not buffer ahead, unlike awk on a pipe), moving "TOOL: " lines to $work/perr.log.
provision_filter () {
	while IFS= read -r _l || [ -n "$_l" ]; do
		case $_l in
		"$1: "*) printf '%s\n' "${_l#"$1: "}" >>"$work/perr.log" ;;
		*) printf '%s\n' "$_l" ;;
		esac
	done
}
provision () {
	_tool=$1
	rm -f "$work/perr" "$work/perr.log"
	mkfifo "$work/perr" || fail "$work/perr: cannot make a fifo"
	provision_filter "$_tool" <"$work/perr" >&2 &
	_filter=$!
	_prc=0
	run "$@" >"$work/perr" 2>&1 || _prc=$?
	wait "$_filter" 2>/dev/null
	rm -f "$work/perr"
	[ -s "$work/perr.log" ] || : >"$work/perr.log"
	_last=$(tail -n 1 "$work/perr.log")
	if [ "$_prc" -eq 0 ]; then
		[ -z "$_last" ] || say "$(cat "$work/perr.log")"
		return 0
	fi
	[ "$(wc -l <"$work/perr.log")" -le 1 ] || say "$(sed '$d' "$work/perr.log")"
	fail "${_last:-Error running provisioner $ptype: $_tool exited $_prc}"
}
