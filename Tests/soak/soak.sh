#!/bin/sh
# shellcheck disable=SC2016,SC2012,SC2086 # template text in single quotes; ls of a temp dir; word lists
# soak.sh [BIN] — the soak campaign (`make soak`): many randomised builds on ecs-sim under
# injected API faults, SSH refusals, slow snapshots, signals, SIGKILL + reclaim, concurrency
# with a shared throttling budget, mangled API answers and a bad-input sweep. After every
# build: the expected outcome, nothing left in the emulated cloud, no secret in any byte the
# tools wrote nor in any process's argv (sampled from /proc every ~50 ms).
#
#   SEED=N             the campaign's seed (default: from the clock; printed, so a run replays)
#   SOAK_BUILDS=N      stop starting scenarios after N builds (default 26)
#   SOAK_MINUTES=M     ... or after M minutes (default 2; running scenarios finish)
#   SOAK_JOBS=N        scenarios running at once, each on its own ecs-sim (default 3)
#   SOAK_CONCURRENT=N  builds of the concurrency mix, all on one ecs-sim (default 10)
#   SOAK_BAD=N         bad-input cases (default 40)
#   SOAK_DIR=DIR       keep everything in DIR (default: a temp dir, removed on success)
#   SOAK_KEEP=1        keep the campaign directory even on success
# Exit 0 when every outcome was expected, nothing leaked and no secret was found; 77 when
# skipped (not root).
set -u
umask 077
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN=${1:-${BIN:-$root/.build/debug}}
BIN=$(cd "$BIN" && pwd) || exit 66
PATH=$BIN:$PATH
export BIN PATH
scripts=$root/scripts
# shellcheck source=scripts/lib/ecs-sim.sh
. "$scripts/lib/ecs-sim.sh"

# Exit 77: skipped (not root), counted apart from a pass; make test as root fails on it.
[ "$(id -u)" -eq 0 ] || { printf 'soak: skip (needs root: emulated instances are sshd hosts on port 22)\n'; exit 77; }
command -v setsid >/dev/null || { printf 'soak: setsid (util-linux) is needed\n' >&2; exit 69; }

SEED=${SEED:-$(( $(date +%s) % 100000 ))}
SOAK_BUILDS=${SOAK_BUILDS:-26}
SOAK_MINUTES=${SOAK_MINUTES:-2}
SOAK_JOBS=${SOAK_JOBS:-3}
SOAK_CONCURRENT=${SOAK_CONCURRENT:-10}
SOAK_BAD=${SOAK_BAD:-40}
if [ -n "${SOAK_DIR:-}" ]; then run=$SOAK_DIR; mkdir -p "$run" || exit 73; else run=$(mktemp -d /tmp/soak.XXXXXX) || exit 73; fi
run=$(cd "$run" && pwd)
started=$(date +%s)
deadline=$((started + SOAK_MINUTES * 60))

# --- the seeded generator (an LCG: same SEED, same campaign) -------------------------
rng=$(( (SEED * 2654435761 + 7) % 2147483648 ))
# rand N: R = a number in 0..N-1. Call it in the current shell (not in $(...)).
rand () {
	rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
	R=$(( (rng / 65536) % $1 ))
}
# pick WORD...: P = one of the words.
pick () { rand $#; shift "$R"; P=$1; }
hex () { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# --- the campaign's secrets: unique random strings, searched for everywhere ----------
ECS_SIM_ACCESS_KEY="LTAIsoak$(hex 6)"
ECS_SIM_SECRET_KEY="SoakSecretKey$(hex 12)"
ALICLOUD_SECURITY_TOKEN="SoakSecurityToken$(hex 12)"
soak_password="Soak-Pw$(hex 6)Aa9"
soak_token="SoakSensitive$(hex 10)"
export ECS_SIM_ACCESS_KEY ECS_SIM_SECRET_KEY ALICLOUD_SECURITY_TOKEN
secrets=$run/secrets
printf '%s\n' "$ECS_SIM_SECRET_KEY" "$ALICLOUD_SECURITY_TOKEN" "$soak_password" "$soak_token" >"$secrets"

# --- the argv sampler ----------------------------------------------------------------
: >"$run/sampling"
: >"$run/argv-hits"
(
	n=0
	while [ -f "$run/sampling" ]; do
		grep -laF -f "$secrets" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
			d=${f%/cmdline}
			printf '%s\t%s\n' "$(cat "$d/comm" 2>/dev/null)" "$(tr '\0' ' ' <"$f" 2>/dev/null)" >>"$run/argv-hits"
		done
		n=$((n + 1))
		sleep 0.05
	done
	printf '%s\n' "$n" >"$run/samples"
) 2>/dev/null &
sampler=$!

finish () {
	rm -f "$run/sampling"
	wait "$sampler" 2>/dev/null
}
interrupted () {
	trap '' INT TERM
	rm -f "$run/sampling"
	for p in $lanes; do kill -TERM "$p" 2>/dev/null; done
	wait
	printf 'soak: interrupted; campaign directory kept: %s\n' "$run" >&2
	exit "$1"
}
lanes=
trap 'interrupted 130' INT
trap 'interrupted 143' TERM

# --- templates -----------------------------------------------------------------------
# gen_builder K I REGION EXTRA: one alicloud-ecs builder with a random option set; prints
# the builder and records what the build must deliver in $sd/in/expect (one line per
# builder: name, image name, region, copy regions, tag pairs).
gen_builder () {
	_k=$1 _i=$2 _region=$3 _extra=$4
	_name="b$_i"
	_image="soak_${_k}_${_i}_$SEED"
	printf '{"type":"alicloud-ecs","name":"%s","access_key":"{{user `access_key`}}","secret_key":"{{user `secret_key`}}",' "$_name"
	printf '"region":"%s","image_name":"%s","source_image":"centos_7_03_64_20G_alibase_20170818.vhd","ssh_username":"root",' "$_region" "$_image"
	printf '"instance_type":"ecs.t5-lc1m1.small","internet_charge_type":"PayByTraffic","io_optimized":"true"'
	_tags=
	rand 3
	if [ "$R" -gt 0 ]; then
		rand 3
		_n=$((R + 1))
		printf ',"tags":{'
		_j=1
		while [ "$_j" -le "$_n" ]; do
			[ "$_j" -eq 1 ] || printf ','
			printf '"soak-%s":"v%s-%s"' "$_j" "$_k" "$_j"
			_tags="$_tags soak-$_j=v$_k-$_j"
			_j=$((_j + 1))
		done
		printf '}'
	fi
	rand 3; [ "$R" -ne 0 ] || printf ',"ssh_private_ip":true'
	rand 3
	if [ "$R" -gt 0 ]; then
		printf ',"image_disk_mappings":['
		_j=1
		while [ "$_j" -le "$R" ]; do
			[ "$_j" -eq 1 ] || printf ','
			printf '{"disk_size":20,"disk_category":"cloud_efficiency","disk_name":"data%s"}' "$_j"
			_j=$((_j + 1))
		done
		printf ']'
	fi
	rand 3
	case $_extra in *image_ignore_data_disks*) ;; *) [ "$R" -ne 0 ] || printf ',"image_ignore_data_disks":true' ;; esac
	rand 4; [ "$R" -ne 0 ] || printf ',"system_disk_mapping":{"disk_size":40,"disk_category":"cloud_efficiency"}'
	_copies=
	rand 4
	if [ "$R" -eq 0 ]; then
		if [ "$_region" = cn-beijing ]; then _copies=cn-hangzhou; else _copies=cn-beijing; fi
		printf ',"image_copy_regions":["%s"],"image_copy_names":["%s_copy"]' "$_copies" "$_image"
	fi
	rand 3
	case $_extra in *image_force_delete*) ;; *) [ "$R" -ne 0 ] || printf ',"image_force_delete":true,"image_force_delete_snapshots":true' ;; esac
	rand 3; [ "$R" -ne 0 ] || printf ',"ssh_password":"{{user `ssh_pw`}}"'
	rand 4; [ "$R" -ne 0 ] || printf ',"run_tags":{"owner":"soak"}'
	rand 4; [ "$R" -ne 0 ] || printf ',"instance_name":"soak-builder-%s","image_version":"1.0.%s","image_description":"soak %s"' "$_k" "$_k" "$_k"
	rand 4; [ "$R" -ne 0 ] || printf ',"force_stop_instance":true'
	rand 4; [ "$R" -ne 0 ] || printf ',"user_data":"#!/bin/sh\\necho soak"'
	rand 4; [ "$R" -ne 0 ] || printf ',"image_encrypted":true'
	printf '%s}' "$_extra"
	printf '%s\t%s\t%s\t%s\t%s\n' "$_name" "$_image" "$_region" "${_copies:--}" "${_tags# }" >>"$sd/in/expect"
}

# gen_template K EXTRA: $sd/in/template.json with 1-2 builders and a provisioner using a
# sensitive variable; $sd/in/vars.json carries the sensitive values.
gen_template () {
	mkdir -p "$sd/in"
	: >"$sd/in/expect"
	pick cn-beijing cn-hangzhou
	_r=$P
	rand 4
	_nb=1
	[ "$R" -ne 0 ] || _nb=2
	rand 3
	_sleep=$R
	{
		printf '{"variables":{"access_key":"{{env `ALICLOUD_ACCESS_KEY`}}","secret_key":"{{env `ALICLOUD_SECRET_KEY`}}","soak_token":"","ssh_pw":""},\n'
		printf '"sensitive-variables":["soak_token","ssh_pw"],\n"builders":['
		gen_builder "$1" 1 "$_r" "$2"
		[ "$_nb" -eq 1 ] || { printf ','; gen_builder "$1" 2 "$_r" "$2"; }
		printf '],\n"provisioners":[{"type":"shell","inline":["case {{user `soak_token`}} in Soak*) : >/root/token.ok ;; esac","echo built {{build_name}}","sleep %s"' "$_sleep"
		rand 2; [ "$R" -ne 0 ] || printf ',"echo the token is {{user `soak_token`}}"'
		printf ']'
		rand 3; [ "$R" -ne 0 ] || printf ',"environment_vars":["SOAK_TOKEN={{user `soak_token`}}"]'
		printf '}]}\n'
	} >"$sd/in/template.json"
	printf '{"soak_token":"%s","ssh_pw":"%s"}\n' "$soak_token" "$soak_password" >"$sd/in/vars.json"
}

# --- checks --------------------------------------------------------------------------
# sim_q PATH: a value of the saved dump.
sim_q () { ecs-call --from-response "$sd/dump.json" --query "$@" 2>/dev/null; }
note () { printf '%s; ' "$*" >>"$sd/notes"; }

# leaks: temporary resources, half-made images, open ledgers, leftover temp files.
# Prints the number found; details go to notes.
count_leaks () {
	_l=0
	ecs_sim_dump >"$sd/dump.json" 2>/dev/null || { note "no dump"; echo 1; return; }
	_t=$(sim_q temporaryCount)
	if [ "${_t:-1}" != 0 ]; then
		_l=$((_l + ${_t:-1}))
		note "temporary left: $(sim_q 'temporary[*].kind' | sort | uniq -c | awk '{printf "%s %s,", $1, $2}')"
	fi
	_half=$(sim_q 'resources.images[*].status' | grep -cv '^Available$')
	if [ "$_half" -gt 0 ]; then _l=$((_l + _half)); note "half-made images: $_half"; fi
	_tmpn=$(sim_q 'resources.images[*].name' | grep -c -- '-ait-')
	if [ "$_tmpn" -gt 0 ]; then _l=$((_l + _tmpn)); note "images left under a temporary name: $_tmpn"; fi
	_open=$(ALICLOUD_BUILD_STATE=$sd/state sh "$scripts/alicloud-build" ledgers 2>/dev/null | wc -l)
	if [ "$_open" -gt 0 ]; then _l=$((_l + _open)); note "open ledgers: $_open"; fi
	if [ "${1:-}" != killed ]; then
		if [ -n "$(ls -A "$sd/tmp" 2>/dev/null)" ]; then
			_l=$((_l + 1))
			note "temp files left: $(ls "$sd/tmp" | tr '\n' ' ')"
		fi
		# Every image in the cloud is one the user was told about (an artifact on stdout).
		_unrep=$(sim_q 'resources.images[*].id' | while read -r _i; do cat "$sd"/out/*.out 2>/dev/null | grep -qF "$_i" || echo "$_i"; done)
		if [ -n "$_unrep" ]; then
			_l=$((_l + $(printf '%s\n' "$_unrep" | grep -c .)))
			note "images no build reported: $(printf '%s' "$_unrep" | tr '\n' ' ')"
		fi
	fi
	echo "$_l"
}

# images: the number of images in the emulated cloud.
image_count () { ecs_sim_dump >"$sd/dump.json" 2>/dev/null; sim_q 'resources.images[*].id' | grep -c .; }

# check_artifacts B: stdout lists every image of every builder (and its copies), each exists,
# Available, with the template's tags on the image and every snapshot of it. Read from
# ecs-sim's admin dump, which no injected fault touches: a check that went through the
# faulted API saw its own cut-short answers and failed correct builds.
check_artifacts () {
	_out=$sd/out/$1.out
	ecs_sim_dump >"$sd/dump.json" 2>/dev/null || { note "$1: no dump for the artifact check"; return 1; }
	_why=$(python3 - "$sd/dump.json" "$_out" "$sd/in/expect" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = open(sys.argv[2]).read().split("\n") if sys.argv[2] else []
images = {i["id"]: i for i in d["resources"]["images"]}
snaps = {s["id"]: s for s in d["resources"]["snapshots"]}
notes = []
for line in open(sys.argv[3]):
    line = line.rstrip("\n")
    if not line:
        continue
    name, image, region, copies, tags = (line.split("\t") + [""] * 5)[:5]
    want = dict(kv.split("=", 1) for kv in tags.split())
    for reg in [region] + ([] if copies == "-" else copies.split()):
        listed = [l.split(": ", 1)[1] for l in out if l.startswith(reg + ": m-")]
        found = [i for i in listed if i in images and images[i]["region"] == reg and images[i]["status"] == "Available"
                 and images[i]["name"] in (image, image + "_copy")]
        if not found:
            notes.append("%s: no artifact for %s in %s" % (name, image, reg))
            continue
        im = images[found[0]]
        have = {t["key"]: t["value"] for t in im["tags"]}
        for k, v in sorted(want.items()):
            if have.get(k) != v:
                notes.append("%s: image %s lacks tag %s" % (name, im["id"], k))
            for m in im["mappings"]:
                on = {t["key"]: t["value"] for t in snaps.get(m["snapshotId"], {}).get("tags", [])}
                if on.get(k) != v:
                    notes.append("%s: snapshot %s of %s lacks tag %s" % (name, m["snapshotId"], im["id"], k))
print("; ".join(notes))
PY
) || { note "$1: the artifact check failed"; return 1; }
	_bad=0
	[ -z "$_why" ] || { note "$_why"; _bad=1; }
	[ ! -f "$sd/out/$1.manifest" ] || [ "$(grep -c '"artifact_id"' "$sd/out/$1.manifest")" -eq "$(grep -c . "$sd/in/expect")" ] \
		|| { note "manifest: wrong number of builds"; _bad=1; }
	return "$_bad"
}

# no crash: never exit 70 nor a Swift runtime failure in stderr.
crashed () {
	case $2 in 70 | 132 | 133 | 134 | 135 | 136 | 137 | 138 | 139) return 0 ;; esac
	grep -qE 'Fatal error|Current stack trace|Illegal instruction|Segmentation fault|Stack dump|💣' "$sd/out/$1.err" 2>/dev/null
}

# build B [args...]: alicloud-build in its own process group (as from a terminal); sets pid.
start_build () {
	_b=$1
	shift
	( cd "$sd" && TMPDIR=$sd/tmp ALICLOUD_BUILD_STATE=$sd/state \
		exec setsid env --default-signal=INT sh "$scripts/alicloud-build" -var-file "$sd/in/vars.json" -manifest "$sd/out/$_b.manifest" "$@" "$sd/in/template.json" \
		>"$sd/out/$_b.out" 2>"$sd/out/$_b.err" ) &
	pid=$!
}
wait_build () { _rc=0; wait "$pid" 2>/dev/null || _rc=$?; printf '%s\n' "$_rc" >"$sd/out/$1.rc"; rc=$_rc; }

# result MIX OUTCOME LEAKED [BUILDS]: one line of the scenario's results.
result () {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-1}" "$(cat "$sd/notes" 2>/dev/null)" >>"$sd/result"
	: >"$sd/notes"
}

# expect_rc B RC ALLOWED...: the outcome of one build against the allowed exit codes
# (ok = 0 expected, expfail = an allowed failure, unexpected otherwise).
outcome () {
	_b=$1 _rc=$2
	shift 2
	if crashed "$_b" "$_rc"; then note "$_b: crash (exit $_rc)"; O=unexpected; return; fi
	for _a in "$@"; do
		if [ "$_a" = "$_rc" ]; then
			if [ "$_rc" = 0 ]; then
				if check_artifacts "$_b"; then O=ok; else O=unexpected; fi
			else
				if [ -s "$sd/out/$_b.err" ]; then O=expfail; else note "$_b: exit $_rc without a message"; O=unexpected; fi
			fi
			return
		fi
	done
	note "$_b: exit $_rc, expected one of $*: $(grep -v '^    ' "$sd/out/$_b.err" | tail -n 3 | tr '\n' ' ' | cut -c1-300)"
	O=unexpected
}

sim_up () {
	mkdir -p "$sd/simtmp" "$sd/tmp" "$sd/out" "$sd/state"
	: >"$sd/notes"
	# shellcheck disable=SC2086
	TMPDIR=$sd/simtmp ecs_sim_start --profile fast --state "$sd/sim" --seed "$1" ${2:+--faults "$2"} || { note "ecs-sim did not start"; return 1; }
	ALICLOUD_REGION=cn-beijing
	export ALICLOUD_REGION
}
sim_down () {
	[ -z "${ECS_SIM_LOG:-}" ] || cp "$ECS_SIM_LOG" "$sd/sim.err" 2>/dev/null
	ecs_sim_stop
}

# The secret scan of a scenario: every byte under its directory except its inputs.
scan () {
	_hits=$(grep -rlaF -f "$secrets" "$sd" 2>/dev/null | grep -v "^$sd/in/" || true)
	if [ -n "$_hits" ]; then
		printf '%s\n' "$_hits" >"$sd/secret-hits"
		printf '%s\n' "$_hits" | grep -c .
	else
		echo 0
	fi
}

# --- the mixes -----------------------------------------------------------------------
# Each scenario runs in the background with its own ecs-sim; its parameters are drawn in
# the main shell beforehand (so the campaign is the same for the same SEED), saved in
# $sd/in/params, and the outcome is written to $sd/result.

# single build, expecting one of the codes in $codes
scenario_single () {
	sim_up "$simseed" "$faults" || { result "$mix" unexpected 1; return; }
	start_build b $args
	wait_build b
	# shellcheck disable=SC2086
	outcome b "$rc" $codes
	if [ "$mix" = slow-snapshot ] && [ "$O" = expfail ] && ! grep -q 'Timeout waiting for' "$sd/out/b.err"; then
		note "b: failed, but not on the snapshot timeout"; O=unexpected
	fi
	if [ "$O" = expfail ] && [ -n "$want_msg" ] && ! grep -q "$want_msg" "$sd/out/b.err"; then
		note "b: the message does not name $want_msg"; O=unexpected
	fi
	# A cleanup that could not release something names it and asks for `make clean`: do that.
	if [ -n "$reclaim_after" ] && grep -q 'could not be released' "$sd/out/b.err"; then
		TMPDIR=$sd/tmp ALICLOUD_BUILD_STATE=$sd/state sh "$scripts/alicloud-build" reclaim >"$sd/out/reclaim.out" 2>"$sd/out/reclaim.err" \
			|| note "reclaim after the failed cleanup: exit $?"
	fi
	leaked=$(count_leaks)
	result "$mix" "$O" "$leaked"
	sim_down
}

# the same template twice: the second build replaces the first's images when force-delete
scenario_force () {
	sim_up "$simseed" "" || { result "$mix" unexpected 1 2; return; }
	start_build b1; wait_build b1; outcome b1 "$rc" 0
	result "$mix" "$O" 0
	start_build b2; wait_build b2; outcome b2 "$rc" 0
	want=$(awk -F '\t' '{ n += ($4 == "-" ? 1 : 2) } END { print n }' "$sd/in/expect")
	_imgs=$(image_count)
	[ "$_imgs" = "$want" ] || { note "force delete: $_imgs images, wanted $want"; O=unexpected; }
	leaked=$(count_leaks)
	result "$mix" "$O" "$leaked"
	sim_down
}

scenario_signal () {
	sim_up "$simseed" "" || { result "$mix" unexpected 1; return; }
	start_build b
	sleep "$delay"
	if [ "$target" = group ]; then kill -s "$sig" -- "-$pid" 2>/dev/null; else kill -s "$sig" "$pid" 2>/dev/null; fi
	wait_build b
	want=130
	[ "$sig" = INT ] || want=143
	outcome b "$rc" "$want" 0
	leaked=$(count_leaks)
	result "$mix" "$O" "$leaked"
	sim_down
}

scenario_kill () {
	sim_up "$simseed" "" || { result "$mix" unexpected 1; return; }
	start_build b
	sleep "$delay"
	kill -s KILL -- "-$pid" 2>/dev/null
	wait_build b
	sleep 0.3
	_rrc=0
	TMPDIR=$sd/tmp ALICLOUD_BUILD_STATE=$sd/state sh "$scripts/alicloud-build" reclaim >"$sd/out/reclaim.out" 2>"$sd/out/reclaim.err" || _rrc=$?
	if [ "$rc" = 0 ]; then
		outcome b 0 0
	elif [ "$_rrc" != 0 ]; then
		note "reclaim: exit $_rrc: $(tail -n 3 "$sd/out/reclaim.err" | tr '\n' ' ')"; O=unexpected
	elif crashed reclaim "$_rrc"; then
		note "reclaim crashed"; O=unexpected
	else
		O=expfail
	fi
	leaked=$(count_leaks killed)
	result "$mix" "$O" "$leaked"
	sim_down
}

scenario_concurrent () {
	sim_up "$simseed" "$faults" || { result "$mix" unexpected 1 "$ncon"; return; }
	pids=
	j=1
	while [ "$j" -le "$ncon" ]; do
		( cd "$sd" && TMPDIR=$sd/tmp ALICLOUD_BUILD_STATE=$sd/state \
			exec setsid sh "$scripts/alicloud-build" -var-file "$sd/in/vars.json" -manifest "$sd/out/c$j.manifest" "$sd/in/template-$j.json" \
			>"$sd/out/c$j.out" 2>"$sd/out/c$j.err" ) &
		pids="$pids $!"
		j=$((j + 1))
	done
	j=1
	for p in $pids; do
		_rc=0
		wait "$p" || _rc=$?
		printf '%s\n' "$_rc" >"$sd/out/c$j.rc"
		j=$((j + 1))
	done
	j=1
	while [ "$j" -le "$ncon" ]; do
		cp "$sd/in/expect-$j" "$sd/in/expect"
		outcome "c$j" "$(cat "$sd/out/c$j.rc")" 0
		result "$mix" "$O" 0
		j=$((j + 1))
	done
	throttled=$(grep -c '"code":"Throttling.User"' "$sd/sim/requests.jsonl" 2>/dev/null)
	note "Throttling.User answers: $throttled"
	leaked=$(count_leaks)
	result "$mix" none "$leaked" 0
	sim_down
}

run_scenario () {
	# shellcheck disable=SC1091
	. "$sd/in/params"
	pid=
	trap '[ -z "$pid" ] || kill -s KILL -- "-$pid" 2>/dev/null; sim_down; exit 143' TERM
	case $mix in
	options) if [ -n "$extra" ]; then scenario_force; else scenario_single; fi ;;
	signal) scenario_signal ;;
	kill) scenario_kill ;;
	concurrent) scenario_concurrent ;;
	*) scenario_single ;;
	esac
	hits=$(scan)
	printf 'secrets\t%s\n' "$hits" >>"$sd/result"
	[ "${SOAK_KEEP:-}" = 1 ] || rm -rf "$sd/sim/host"
	: >"$sd/done"
}

# Actions every build makes (for faults that must be hit).
always='DescribeRegions CreateVpc CreateVSwitch CreateSecurityGroup AuthorizeSecurityGroup CreateInstance StartInstance StopInstance CreateImage DescribeZones DeleteInstance DeleteVpc'
token_creates='CreateVpc CreateVSwitch CreateSecurityGroup CreateInstance CreateImage'

# plan_scenario K MIX: draws the scenario's parameters and template.
plan_scenario () {
	k=$1 mix=$2
	sd=$run/s$k
	mkdir -p "$sd/in"
	rand 1000000
	simseed=$R
	faults='' codes=0 args='' want_msg='' extra='' delay='' sig='' target='' ncon=0 reclaim_after=''
	case $mix in
	options)
		# One in three: every builder force-deletes, and the template is built twice.
		rand 3; [ "$R" -ne 0 ] || extra=',"image_force_delete":true,"image_force_delete_snapshots":true' ;;
	api-retry)
		pick throttle 5xx busy poll delay mixed
		case $P in
		throttle) pick $always DescribeImages DescribeInstances; rand 3; faults="$P:Throttling.User:$((R + 1))x" ;;
		5xx) pick $always DescribeImages; a=$P; pick 500 502 503 504; rand 2; faults="$a:$P:$((R + 1))x" ;;
		busy) pick StartInstance StopInstance; rand 3; faults="$P:IncorrectInstanceStatus:$((R + 1))x,DeleteSecurityGroup:DependencyViolation:2x" ;;
		poll) pick DescribeInstances DescribeImages DescribeVpcs DescribeVSwitches; rand 3; faults="$P:Throttling.User:$((R + 1))x,DescribeSnapshots:503:1x" ;;
		delay) faults='*:delay:0-80' ;;
		mixed) faults='*:Throttling.User:0.08,*:503:0.04' ;;
		esac ;;
	api-error)
		pick $always
		a=$P
		pick InvalidParameter Forbidden.RAM QuotaExceeded.Vpc InvalidInstanceType.ValueUnauthorized
		faults="$a:$P:1x"
		want_msg=$P
		codes=1
		# An error in the cleanup itself fails the build too; the build names what it could
		# not release and asks for a reclaim (make clean), after which nothing is left.
		case $a in DeleteInstance | DeleteVpc) want_msg='could not be released'; reclaim_after=1 ;; esac ;;
	drop)
		pick $token_creates CreateKeyPair StartInstance DeleteInstance DeleteVpc DescribeImages
		faults="$P:drop:1x"
		case " $token_creates DescribeImages " in *" $P "*) codes=0 ;; *) codes='0 1' ;; esac ;;
	ssh-refuse)
		rand 4
		if [ "$R" -eq 0 ]; then
			faults=ssh-refuse:30; extra=',"ssh_timeout":"4s"'; codes=1; want_msg='Timeout waiting for SSH'
		else
			rand 6; faults="ssh-refuse:$((R + 2))"
		fi ;;
	slow-snapshot)
		rand 3
		extra=",\"wait_snapshot_ready_timeout\":$((R + 2))"
		rand 2
		# An image of the instance's disks, or (image_ignore_data_disks) of a system disk snapshot.
		faults='CreateSnapshot:slow:120,CreateImage:slow:120'
		[ "$R" -eq 0 ] || extra="$extra,\"image_ignore_data_disks\":true"
		codes=1 ;;
	corrupt)
		rand 3
		if [ "$R" -eq 0 ]; then
			faults='*:corrupt:0.03'
		else
			pick $always DescribeImages DescribeInstances DescribeVpcs CreateKeyPair AllocateEipAddress DescribeEipAddresses TagResources DescribeDisks
			rand 2; faults="$P:corrupt:$((R + 1))x"
		fi
		codes='0 1' reclaim_after=1 ;;
	signal)
		pick INT TERM; sig=$P
		pick group group main; target=$P
		rand 80; delay=$(printf '%d.%d' $(((R + 2) / 10)) $(((R + 2) % 10))) ;;
	kill)
		rand 90; delay=$(printf '%d.%d' $(((R + 3) / 10)) $(((R + 3) % 10))) ;;
	concurrent)
		ncon=$SOAK_CONCURRENT
		rand 20; faults="*:budget:$((R + 15))"
		j=1
		while [ "$j" -le "$ncon" ]; do
			gen_template "${k}c$j" ""
			mv "$sd/in/template.json" "$sd/in/template-$j.json"
			mv "$sd/in/expect" "$sd/in/expect-$j"
			j=$((j + 1))
		done ;;
	esac
	[ "$mix" = concurrent ] || gen_template "$k" "$extra"
	{
		printf 'mix=%s simseed=%s ncon=%s\n' "$mix" "$simseed" "$ncon"
		printf 'faults=%s\ncodes=%s\nwant_msg=%s\nargs=%s\nextra=%s\n' "'$faults'" "'$codes'" "'$want_msg'" "'$args'" "'$extra'"
		printf 'delay=%s sig=%s target=%s reclaim_after=%s\n' "'$delay'" "'$sig'" "'$target'" "'$reclaim_after'"
	} >"$sd/in/params"
	case $mix in concurrent) planned=$((planned + ncon)) ;; options) if [ -n "$extra" ]; then planned=$((planned + 2)); else planned=$((planned + 1)); fi ;; *) planned=$((planned + 1)) ;; esac
}

# --- the bad-input sweep ---------------------------------------------------------------
base_template () {
	cat <<'EOF'
{
  "variables": {"access_key": "{{env `ALICLOUD_ACCESS_KEY`}}", "secret_key": "{{env `ALICLOUD_SECRET_KEY`}}", "soak_token": ""},
  "sensitive-variables": ["soak_token"],
  "builders": [{
    "type": "alicloud-ecs", "access_key": "{{user `access_key`}}", "secret_key": "{{user `secret_key`}}",
    "region": "cn-beijing", "image_name": "bad_input_image", "source_image": "centos_7_03_64_20G_alibase_20170818.vhd",
    "ssh_username": "root", "instance_type": "ecs.t5-lc1m1.small", "internet_charge_type": "PayByTraffic",
    "io_optimized": "true", "tags": {"app": "soak"}, "image_disk_mappings": [{"disk_size": 20}]
  }],
  "provisioners": [{"type": "shell", "inline": ["echo {{user `soak_token`}} | cksum"]}]
}
EOF
}

# sub FILE OLD NEW: replaces the first OLD by NEW (NEW may be large: read from a file).
sub () {
	printf '%s' "$3" >"$1.new"
	awk -v a="$2" -v nf="$1.new" 'BEGIN { while ((getline l < nf) > 0) b = b (n++ ? "\n" : "") l }
		!done { i = index($0, a); if (i) { $0 = substr($0, 1, i - 1) b substr($0, i + length(a)); done = 1 } } { print }' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
	rm -f "$1.new"
}
# nth_char FILE CHAR N: byte offset (0-based) of the Nth (1-based, modulo the count) CHAR.
nth_char () {
	od -An -v -tu1 -w1 "$1" | awk -v c="$2" -v n="$3" '{ if ($1 == c) o[++k] = NR - 1 } END { if (k) print o[(n - 1) % k + 1]; else print 0 }'
}
cut_at () { head -c "$2" "$1"; }
from () { tail -c +"$(($2 + 1))" "$1"; }

bad_case () {
	# one mutated input: $f template, $v var file (or empty), $extra_args; sets label
	f=$bd/t$1.json
	v=
	base_template >"$f"
	size=$(wc -c <"$f")
	rand 16
	case $R in
	0) rand $((size - 10)); label="truncated at byte $R"; cut_at "$f" "$R" >"$f.x"; mv "$f.x" "$f" ;;
	1) rand 40; o=$(nth_char "$f" 34 "$((R + 1))"); label="quote at $o deleted"; { cut_at "$f" "$o"; from "$f" "$((o + 1))"; } >"$f.x"; mv "$f.x" "$f" ;;
	2) rand 40; o=$(nth_char "$f" 58 "$((R + 1))"); label="colon at $o deleted"; { cut_at "$f" "$o"; from "$f" "$((o + 1))"; } >"$f.x"; mv "$f.x" "$f" ;;
	3) rand 40; o=$(nth_char "$f" 44 "$((R + 1))"); pick '{' '[' ',' ':' '}'; label="'$P' after the comma at $o"
		{ cut_at "$f" "$((o + 1))"; printf '%s' "$P"; from "$f" "$((o + 1))"; } >"$f.x"; mv "$f.x" "$f" ;;
	4) pick region image_name instance_type ssh_username source_image; label="duplicate key $P"; sub "$f" "\"io_optimized\"" "\"$P\": \"dup\", \"io_optimized\"" ;;
	5) pick bad_input_image cn-beijing root ecs.t5-lc1m1.small soak; label="a 0xff byte in \"$P\""; sub "$f" "$P" "$(printf '%s\377' "$P")" ;;
	6) rand 5; d=$((600 * (R + 1) * (R + 1))); label="nesting depth $d"
		sub "$f" '"soak_token": ""' "\"soak_token\": \"\", \"deep\": $(awk -v d="$d" 'BEGIN { for (i = 0; i < d; i++) printf "["; for (i = 0; i < d; i++) printf "]" }')" ;;
	7) pick '"builders": [{|"builders": {"x": {' '"provisioners": [{|"provisioners": "x", "p": [{' '"tags": {"app": "soak"}|"tags": "app"' \
			'"image_disk_mappings": [{"disk_size": 20}]|"image_disk_mappings": {"disk_size": 20}' '"io_optimized": "true"|"io_optimized": "maybe"' \
			'"ssh_username": "root"|"ssh_username": "root", "ssh_port": "ssh"' '"image_disk_mappings": [{"disk_size": 20}]|"image_disk_mappings": [{"disk_size": "big"}]' \
			'"variables": {|"variables": [], "v": {' '"ssh_username": "root"|"ssh_username": ["root"]' '"inline": [|"inline": {"a": [' \
			'"ssh_username": "root"|"ssh_username": "root", "system_disk_mapping": [1]' '"ssh_username": "root"|"ssh_username": "root", "ssh_timeout": "soon"'
		label="wrong type: ${P#*|}"; sub "$f" "${P%%|*}" "${P#*|}"
		# a replaced opening bracket needs its closing one fixed too
		case $P in *'{"x": {'*) sub "$f" '}],' '}},' ;; *'"a": ['*) sub "$f" '| cksum"]' '| cksum"]}' ;; esac ;;
	8) pick instance_type image_name ssh_username source_image region; label="unknown key (misspelt $P)"; sub "$f" "\"$P\"" "\"${P}x\"" ;;
	9) pick buildres provisioner postprocessors varaibles; label="unknown root key $P"; sub "$f" '"variables"' "\"$P\": [], \"variables\"" ;;
	10) rand 4; n=$((129 + R * 40000)); label="image_name of $n bytes"
		sub "$f" bad_input_image "$(head -c "$n" /dev/zero | tr '\0' a)" ;;
	11) pick '"disk_size": 20|"disk_size": 99999999999999999999999' '"disk_size": 20|"disk_size": 1e400' '"disk_size": 20|"disk_size": -1e400' \
			'"ssh_username": "root"|"ssh_username": "root", "ssh_port": -99999999999999999999'
		label="huge number: ${P#*|}"; sub "$f" "${P%%|*}" "${P#*|}" ;;
	12) v=$bd/v$1.json; rand 5
		case $R in
		0) printf '{"soak_token": "abc' >"$v"; label="var file: truncated" ;;
		1) printf '["soak_token"]' >"$v"; label="var file: an array" ;;
		2) printf '{"soak_token": 5}' >"$v"; label="var file: a number" ;;
		3) printf '{"soak_token": "\377\376"}' >"$v"; label="var file: non-UTF-8" ;;
		4) printf '{"soak_token": {"a": "b"}}' >"$v"; label="var file: an object value" ;;
		esac ;;
	13) pick "-var|soak_token" "-only|" "-on-error=never|" "-bogus|" "-var-file|$bd/none.json" "-manifest|"
		extra_args=$P; label="command line: ${P%%|*} ${P#*|}" ;;
	14) rand 3
		case $R in
		0) : >"$f"; label="empty template" ;;
		1) rm -f "$f"; label="missing template" ;;
		2) rm -f "$f"; mkdir -p "$f"; label="template is a directory" ;;
		esac ;;
	15) sub "$f" '"ssh_username": "root"' '"ssh_username": "root", "image_copy_regions": ["cn-nowhere-1"]'; label="unknown copy region";
		# Packer rejects it only at run time (prevalidation); tmpl-render may too: both fine, but
		# a run-time rejection calls the API, so this case tolerates requests.
		tolerate=1 ;;
	esac
}

bad_input_sweep () {
	sd=$run/bad
	bd=$sd/in
	mkdir -p "$bd"
	trap 'sim_down; exit 143' TERM
	sim_up "$SEED" "" || { printf 'bad-input\tunexpected\t1\t1\tecs-sim did not start\n' >>"$sd/result"; : >"$sd/done"; return; }
	i=1
	while [ "$i" -le "$SOAK_BAD" ]; do
		extra_args='' tolerate=0
		bad_case "$i"
		before=$(ecs_sim_dump | sed -n 's/^  "requestTotal": \([0-9]*\),*$/\1/p')
		set --
		[ -z "$v" ] || set -- -var-file "$v"
		case $extra_args in
		'') ;;
		*'|') set -- "$@" "${extra_args%|}" ;;
		*) set -- "$@" "${extra_args%%|*}" "${extra_args#*|}" ;;
		esac
		_rc=0
		( cd "$sd" && TMPDIR=$sd/tmp ALICLOUD_BUILD_STATE=$sd/state exec sh "$scripts/alicloud-build" "$@" "$f" ) >"$sd/out/i$i.out" 2>"$sd/out/i$i.err" </dev/null || _rc=$?
		after=$(ecs_sim_dump | sed -n 's/^  "requestTotal": \([0-9]*\),*$/\1/p')
		O=expfail
		case $_rc in
		64 | 65 | 66) ;;
		*) if [ "$tolerate" != 1 ] || [ "$_rc" != 1 ]; then O=unexpected; note "case $i ($label): exit $_rc"; fi ;;
		esac
		if crashed "i$i" "$_rc"; then O=unexpected; note "case $i ($label): crash"; fi
		[ -s "$sd/out/i$i.err" ] || { O=unexpected; note "case $i ($label): no message"; }
		if [ "$after" != "$before" ] && [ "$tolerate" != 1 ]; then O=unexpected; note "case $i ($label): $((after - before)) API requests"; fi
		printf '%s\t%s\n' "$label" "$_rc" >>"$sd/cases"
		result bad-input "$O" 0
		i=$((i + 1))
	done
	leaked=$(count_leaks)
	result bad-input none "$leaked" 0
	sim_down
	hits=$(scan)
	printf 'secrets\t%s\n' "$hits" >>"$sd/result"
	: >"$sd/done"
}

# --- the campaign ------------------------------------------------------------------------
printf 'soak: seed %s, up to %s builds or %s minutes, %s at once; campaign directory %s\n' "$SEED" "$SOAK_BUILDS" "$SOAK_MINUTES" "$SOAK_JOBS" "$run"
( bad_input_sweep ) &
lanes="$!"
lane_dirs="$run/bad"

mixes='options api-retry api-error drop ssh-refuse slow-snapshot signal kill corrupt concurrent'
planned=0
k=0
round=
while [ "$planned" -lt "$SOAK_BUILDS" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	# Each round runs every mix once, in a seeded order.
	if [ -z "$round" ]; then
		round=$(for m in $mixes; do rand 1000; printf '%03d %s\n' "$R" "$m"; done | sort | cut -d ' ' -f2 | tr '\n' ' ')
		# draws made in a subshell do not advance the generator: advance it here
		for m in $mixes; do rand 1000; done
	fi
	# shellcheck disable=SC2086
	set -- $round
	mix=$1
	shift
	round=$*
	k=$((k + 1))
	plan_scenario "$k" "$mix"
	# Wait for a free lane (a lane is done once its directory has a done file).
	while :; do
		n=0
		for d in $lane_dirs; do [ -f "$d/done" ] || n=$((n + 1)); done
		[ "$n" -gt "$SOAK_JOBS" ] || break
		sleep 0.2
	done
	( run_scenario ) &
	lanes="$lanes $!"
	lane_dirs="$lane_dirs $sd"
done
for p in $lanes; do wait "$p" 2>/dev/null; done
finish
elapsed=$(($(date +%s) - started))

# --- the summary -----------------------------------------------------------------------
cat "$run"/s*/result "$run"/bad/result 2>/dev/null >"$run/results"
argv_hits=$(grep -c . "$run/argv-hits")
samples=$(cat "$run/samples" 2>/dev/null || echo 0)
{
	printf '\nsoak summary: seed %s, %s scenarios, %s s, argv samples %s\n' "$SEED" "$k" "$elapsed" "$samples"
	awk -F '\t' -v mixes="$mixes bad-input" -v argv="$argv_hits" '
		$1 == "secrets" { next }
		{ b[$1] += ($2 == "none" ? 0 : 1); if ($2 == "ok") ok[$1]++; if ($2 == "expfail") ef[$1]++; if ($2 == "unexpected") un[$1]++; lk[$1] += $3 }
		END {
			printf "%-14s %7s %8s %14s %11s %7s\n", "mix", "builds", "success", "expected-fail", "unexpected", "leaked"
			n = split(mixes, m, " ")
			for (i = 1; i <= n; i++) {
				x = m[i]
				printf "%-14s %7d %8d %14d %11d %7d\n", x, b[x], ok[x], ef[x], un[x], lk[x]
				tb += b[x]; to += ok[x]; te += ef[x]; tu += un[x]; tl += lk[x]
			}
			printf "%-14s %7d %8d %14d %11d %7d\n", "total", tb, to, te, tu, tl
		}' "$run/results"
	fsh=$(awk -F '\t' '$1 == "secrets" { s += $2 } END { print s + 0 }' "$run/results")
	printf 'secret hits: %s in files written, %s in sampled argv\n' "$fsh" "$argv_hits"
} | tee "$run/summary"

# Details of everything that went wrong.
bad=0
awk -F '\t' '$1 != "secrets" && ($2 == "unexpected" || $3 > 0) { print "  " $1 ": " $2 ", leaked " $3 ": " $5 }' "$run/results" | head -n 60
for h in "$run"/s*/secret-hits "$run"/bad/secret-hits; do
	[ -f "$h" ] || continue
	printf '  secret found in: %s\n' "$(tr '\n' ' ' <"$h")"
done
[ "$argv_hits" -eq 0 ] || cut -f1 "$run/argv-hits" | sort | uniq -c | sed 's/^/  secret in the argv of: /'
unexpected=$(awk -F '\t' '$1 != "secrets" && $2 == "unexpected"' "$run/results" | grep -c .)
leaked=$(awk -F '\t' '$1 != "secrets" { s += $3 } END { print s + 0 }' "$run/results")
fsh=$(awk -F '\t' '$1 == "secrets" { s += $2 } END { print s + 0 }' "$run/results")
[ "$unexpected" -eq 0 ] && [ "$leaked" -eq 0 ] && [ "$fsh" -eq 0 ] && [ "$argv_hits" -eq 0 ] || bad=1
if [ "$bad" -eq 0 ]; then
	printf 'soak: PASS (seed %s)\n' "$SEED"
	[ "${SOAK_KEEP:-}" = 1 ] || [ -n "${SOAK_DIR:-}" ] || rm -rf "$run"
	exit 0
fi
printf 'soak: FAIL (seed %s); replay with SEED=%s; details in %s\n' "$SEED" "$SEED" "$run"
exit 1
