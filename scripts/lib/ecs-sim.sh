# Shared helpers for tests that need an emulated cloud. Source it, then:
#   ecs_sim_start [ecs-sim options...]   start ecs-sim on a free loopback port and wait until ready;
#                                        sets ECS_SIM_PID, ECS_SIM_URL, ECS_SIM_PORT, ECS_SIM_STATE,
#                                        ECS_SIM_ID_SEED (replay its IDs with --id-seed) and
#                                        exports ALICLOUD_ENDPOINT, ALICLOUD_OSS_ENDPOINT (the same URL: OSS shares the port), ALICLOUD_ACCESS_KEY,
#                                        ALICLOUD_SECRET_KEY, ALICLOUD_REGION (cn-hangzhou unless set)
#   ecs_sim_dump                         print GET /__sim/dump (resources, temporary, request counts)
#   ecs_sim_temporary_count              print how many temporary resources are alive (leaks)
#   ecs_sim_stop                         SIGTERM, wait for the exit (idempotent; stops every sshd)
# The binary is $ECS_SIM_BIN, else $BIN/ecs-sim, else ecs-sim on PATH. Pass --state DIR to keep
# the state somewhere of your own; otherwise ecs-sim uses (and removes) a temp dir.

ecs_sim_start () {
	_es_bin=${ECS_SIM_BIN:-${BIN:+$BIN/}ecs-sim}
	_es_out=$(mktemp "${TMPDIR:-/tmp}/ecs-sim-out.XXXXXX") || return 1
	"$_es_bin" --listen 127.0.0.1:0 "$@" >"$_es_out" 2>"$_es_out.err" &
	ECS_SIM_PID=$!
	_es_i=0
	ECS_SIM_URL=
	while [ -z "$ECS_SIM_URL" ]; do
		ECS_SIM_URL=$(sed -n 's/^ecs-sim: listening on //p' "$_es_out")
		[ -n "$ECS_SIM_URL" ] && break
		if ! kill -0 "$ECS_SIM_PID" 2>/dev/null; then
			cat "$_es_out.err" >&2
			rm -f "$_es_out" "$_es_out.err"
			ECS_SIM_PID=
			return 1
		fi
		_es_i=$((_es_i + 1))
		if [ "$_es_i" -ge 400 ]; then
			printf 'ecs_sim_start: not ready after 20s\n' >&2
			return 1
		fi
		sleep 0.05
	done
	# shellcheck disable=SC2034 # for the callers
	ECS_SIM_PORT=${ECS_SIM_URL##*:}
	# shellcheck disable=SC2034
	ECS_SIM_STATE=$(sed -n 's/^ecs-sim: state \(.*\) profile .*$/\1/p' "$_es_out")
	# shellcheck disable=SC2034
	ECS_SIM_ID_SEED=$(sed -n 's/^ecs-sim: id seed \([0-9]*\) .*$/\1/p' "$_es_out")
	ECS_SIM_LOG=$_es_out.err
	rm -f "$_es_out"
	ALICLOUD_ENDPOINT=$ECS_SIM_URL
	# OSS shares the port.
	ALICLOUD_OSS_ENDPOINT=$ECS_SIM_URL
	ALICLOUD_ACCESS_KEY=${ECS_SIM_ACCESS_KEY:-LTAI5tSimAccessKeyId01}
	ALICLOUD_SECRET_KEY=${ECS_SIM_SECRET_KEY:-SimSecretKey0123456789abcdefXYZ}
	ALICLOUD_REGION=${ALICLOUD_REGION:-cn-hangzhou}
	export ALICLOUD_ENDPOINT ALICLOUD_OSS_ENDPOINT ALICLOUD_ACCESS_KEY ALICLOUD_SECRET_KEY ALICLOUD_REGION
}

ecs_sim_dump () {
	curl -sf "$ECS_SIM_URL/__sim/dump"
}

ecs_sim_temporary_count () {
	ecs_sim_dump | sed -n 's/^  "temporaryCount": \([0-9]*\),*$/\1/p'
}

ecs_sim_stop () {
	if [ -n "${ECS_SIM_PID:-}" ]; then
		kill -TERM "$ECS_SIM_PID" 2>/dev/null || :
		wait "$ECS_SIM_PID" 2>/dev/null || :
		ECS_SIM_PID=
	fi
	[ -z "${ECS_SIM_LOG:-}" ] || rm -f "$ECS_SIM_LOG"
}
