# shellcheck shell=sh
# breakpoint.sh — Packer's breakpoint provisioner, sourced by ecs-build.sh (which defines
# plan and say). The builds run in the background with the plan on their stdin, so
# alicloud-build hands its terminal over as fd 3 (IMAGE_TOOLS_TTY_FD=3) when it has one.

# breakpoint PLAN-PATH — pauses until Enter on that terminal; without one (a pipe, CI), or
# with "disable", goes on with a log line.
breakpoint () {
	_note=$(plan "$1.config.note")
	_what="reakpoint provisioner"
	[ -z "$_note" ] || _what="$_what with note \"$_note\""
	if [ "$(plan "$1.config.disable")" = true ]; then
		say "B$_what disabled; continuing..."
	elif [ "${IMAGE_TOOLS_TTY_FD:-}" = 3 ] && [ -t 3 ]; then
		say "Pausing at b$_what."
		say "Press enter to continue."
		IFS= read -r _ <&3 || :
	else
		say "B$_what skipped: standard input is not a terminal; continuing..."
	fi
}
