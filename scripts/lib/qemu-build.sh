#!/bin/sh
# qemu-build.sh [--check] - INDEX OUTDIR — runs one qemu build of a rendered plan (on stdin),
# with Packer's steps and log lines: the ISO (http-serve --fetch: a local file, or a download
# into Packer's cache, either verified against iso_checksum before use), the disk
# (qemu-img), http_directory served (http-serve), QEMU with user-mode networking forwarding
# a free 127.0.0.1 port to the guest's SSH, the boot_command typed through QMP
# (boot-command), the provisioners over SSH (ssh-run), shutdown_command, and the disk
# converted to `format`. Writes OUTDIR/files (the disk file) on success. On failure or
# INT/TERM, QEMU and the HTTP server are stopped and the output directory is removed.
# --check: only the checks that need no virtual machine and no network (a local ISO is there
# and matches its checksum, the output directory is free): exit 66 or 65 on bad input,
# before anything starts. --dry-run: the same checks, then the steps the build would take,
# on stderr, and exit 3 ("would build": a qemu build is not checked for being up to date).
set -u
umask 077
prog=alicloud-build
export prog
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/common.sh"

check_only=
dry_run=
case ${1:-} in
--check) check_only=1; shift ;;
--dry-run) check_only=1; dry_run=1; shift ;;
esac
[ "${1:-}" = - ] || die "usage: qemu-build.sh [--check | --dry-run] - INDEX OUTDIR (the plan on stdin)" 64
plan_json=$(cat)
index=$2
out=$3
on_error=${ON_ERROR:-cleanup}
load_build || exit 65

# --- the checks before anything starts ----------------------------------------------
# iso_words — http-serve --fetch's arguments for this build's ISO (Packer's download step:
# iso_urls in order, iso_checksum, iso_target_path/extension), as quoted words for eval.
iso_words () {
	_w="--fetch --checksum $(shell_quote "$c_iso_checksum") --extension $(shell_quote "$c_iso_target_extension")"
	! has iso_target_path || _w="$_w --target $(shell_quote "$c_iso_target_path")"
	while IFS= read -r _u; do
		[ -z "$_u" ] || _w="$_w $(shell_quote "$_u")"
	done <<EOF
$c_iso_urls
EOF
	printf '%s' "$_w"
}
# A local ISO must be there and match its checksum; a remote one is fetched by the build
# (which checks a local one again, so the run itself skips this).
if [ -n "$check_only" ]; then
	_ck=$(mktemp) || die "cannot create a temporary file" 73
	eval "set -- $(iso_words)"
	iso_found=$(http-serve "$@" --check 2>"$_ck") || {
		_rc=$?
		_e=$(sed 's/^http-serve: //' "$_ck")
		rm -f "$_ck"
		die "$name: iso_urls: $_e" "$_rc"
	}
	rm -f "$_ck"
fi
outdir=$c_output_directory
[ ! -e "$outdir" ] || die "$name: Output directory '$outdir' already exists. It must not exist." 65
command -v "$c_qemu_binary" >/dev/null 2>&1 || die "$name: qemu_binary: $c_qemu_binary: not found (apt-get install qemu-system-x86)" 69
command -v qemu-img >/dev/null 2>&1 || die "$name: qemu-img: not found (apt-get install qemu-utils)" 69
[ -z "$check_only" ] || [ -n "$dry_run" ] || exit 0

# Go's duration format, as Packer prints it: 10s, 1m30s, 500ms.
go_duration () {
	awk -v s="$1" 'BEGIN { if (s < 1 && s > 0) { printf "%dms", s * 1000; exit }
		m = int(s / 60); r = s - m * 60; if (m > 0) printf "%dm", m; if (r > 0 || m == 0) printf "%gs", r }'
}

# --- a dry run: the steps, nothing started ------------------------------------------------
if [ -n "$dry_run" ]; then
	say "Would build: a qemu build is always built (the up-to-date check covers alicloud-ecs builds)"
	_iso=$(printf '%s\n' "$iso_found" | sed -n 1p)
	_target=$(printf '%s\n' "$iso_found" | sed -n 2p)
	case $_iso in
	*://*) if [ -z "$_target" ]; then say "Would retrieve ISO: $_iso (its cache name comes with the remote checksum list)"
		elif [ -f "$_target" ]; then say "Would retrieve ISO: $_iso from the cache: $_target (checked before use)"
		else say "Would retrieve ISO: $_iso into $_target (a download, checked before use)"; fi ;;
	*) say "Would retrieve ISO: $_iso (matches its checksum)" ;;
	esac
	if on disk_image; then _from=disk; else _from=CD-ROM; fi
	say "Would create hard drive: $outdir/$c_vm_name ($c_format, $c_disk_size)"
	! has http_directory || say "Would serve http_directory $c_http_directory on a free port in $c_http_port_min-$c_http_port_max"
	say "Would start VM: $c_qemu_binary, accelerator $c_accelerator, $c_cpus CPU, $c_memory MB, booting from $_from"
	_n=$(plan config.boot_command --format count) || _n=0
	[ "$_n" -eq 0 ] || say "Would type the boot command over QMP: $_n entries, after $(go_duration "$(cfg boot_wait)") for boot"
	if [ "${c_communicator:-ssh}" = ssh ]; then
		say "Would connect with SSH as $c_ssh_username to 127.0.0.1 (a free port in $c_host_port_min-$c_host_port_max, forwarded to the guest's $c_ssh_port)"
	fi
	_p=$(plan 'provisioners[*].type' --format raw | tr '\n' ' ' | sed 's/ $//')
	[ -z "$_p" ] || say "Would provision with: $_p"
	if has shutdown_command; then say "Would halt the VM with shutdown_command (timeout $(go_duration "$(cfg shutdown_timeout)"))"
	else say "Would halt the VM by stopping QEMU"; fi
	if ! on skip_compaction || on disk_compression; then say "Would convert the hard drive to $c_format"; fi
	_c=0
	_nc=$(plan post_processors --format count) || _nc=0
	while [ "$_c" -lt "$_nc" ]; do
		_ne=$(plan "post_processors[$_c]" --format count) || _ne=0
		_e=0
		while [ "$_e" -lt "$_ne" ]; do
			_pp="post_processors[$_c][$_e]"
			_t=$(plan "$_pp.type")
			if [ "$_t" = alicloud-import ]; then
				say "Would run post-processor alicloud-import: image $(plan "$_pp.config.image_name") in $(plan "$_pp.config.region"), through bucket $(plan "$_pp.config.oss_bucket_name")"
			else
				say "Would leave post-processor $_t to alicloud-build"
			fi
			_e=$((_e + 1))
		done
		_c=$((_c + 1))
	done
	exit 3
fi

# --- the run ---------------------------------------------------------------------------
mkdir -p "$out" || die "$out: cannot create" 73
work=$(mktemp -d) || die "cannot create a work directory" 73
IMAGE_TOOLS_SENSITIVE=$(printf '%s\n' "$plan_json" | tmpl-render --plan - --query 'sensitive_values[*]' 2>/dev/null) || IMAGE_TOOLS_SENSITIVE=
export IMAGE_TOOLS_SENSITIVE
qemu_pid=
http_pid=
ssh_control=
ssh_target=
status=1
cleanup_done=0
# qemu_running — QEMU has not exited (an exited child stays a zombie until waited for).
qemu_running () {
	[ -n "$qemu_pid" ] && [ -r "/proc/$qemu_pid/stat" ] && [ "$(sed 's/^.*) \(.\).*$/\1/' "/proc/$qemu_pid/stat")" != Z ]
}
cleanup () {
	[ "$cleanup_done" = 0 ] || return 0
	cleanup_done=1
	trap '' INT TERM HUP
	[ -z "$child" ] || { kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
	if [ -n "$ssh_control" ]; then
		ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || true
		rm -rf "$ssh_control"
	fi
	if qemu_running; then
		kill -TERM "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	[ -z "$http_pid" ] || { kill -TERM "$http_pid" 2>/dev/null; wait "$http_pid" 2>/dev/null; }
	if [ "$status" -ne 0 ]; then
		if [ "$on_error" = abort ]; then
			say "Step failed, aborting: the output directory is kept: $outdir"
		elif [ -d "$outdir" ]; then
			say "Deleting output directory..."
			rm -rf "$outdir"
		fi
	fi
	rm -rf "$work"
}
trap_signals
trap 'cleanup; exit "$status"' EXIT

# --- the ISO (Packer's download step; the output directory comes after it) -------------
[ -z "${IMAGE_TOOLS_SKIP_UNCHANGED:-}" ] || say "-skip-unchanged: a qemu build is always built (the up-to-date check covers alicloud-ecs builds)"
say "Retrieving ISO"
eval "set -- $(iso_words)"
[ ! -t 2 ] || set -- "$@" --progress
mkfifo "$work/fetch" || fail "$work/fetch: cannot make a fifo"
tee "$work/fetch.log" <"$work/fetch" >&2 &
tee_pid=$!
run http-serve "$@" --sensitive-env IMAGE_TOOLS_SENSITIVE --log-prefix "==> $name: " >"$work/iso" 2>"$work/fetch" || {
	wait "$tee_pid"
	fail "error downloading ISO: $(sed -n 's/^http-serve: //p' "$work/fetch.log")"
}
wait "$tee_pid"
iso_path=$(cat "$work/iso")

mkdir -p "$outdir" || fail "Error creating output directory: $outdir"
disk="$outdir/$c_vm_name"

# --- the disk ------------------------------------------------------------------------
if on disk_image; then
	say "Copying hard drive..."
	if on use_backing_file; then
		run qemu-img create -f qcow2 -b "$iso_path" -F qcow2 "$disk" >"$work/err" 2>&1 || fail "Error creating hard drive: $(cat "$work/err")"
	else
		cp "$iso_path" "$disk" || fail "Error copying hard drive: $iso_path"
	fi
	if ! on skip_resize_disk; then
		say "Resizing hard drive..."
		run qemu-img resize -f "$c_format" "$disk" "$c_disk_size" >"$work/err" 2>&1 || fail "Error resizing hard drive: $(cat "$work/err")"
	fi
else
	say "Creating hard drive..."
	run qemu-img create -f "$c_format" "$disk" "$c_disk_size" >"$work/err" 2>&1 || fail "Error creating hard drive: $(cat "$work/err")"
fi
_k=1
for _size in $c_disk_additional_size; do
	run qemu-img create -f "$c_format" "$disk-$_k" "$_size" >"$work/err" 2>&1 || fail "Error creating hard drive: $(cat "$work/err")"
	_k=$((_k + 1))
done

# --- the HTTP server -----------------------------------------------------------------
http_ip=10.0.2.2
http_port=0
if has http_directory; then
	mkfifo "$work/http" || fail "$work/http: cannot make a fifo"
	http-serve --port-min "$c_http_port_min" --port-max "$c_http_port_max" "$c_http_directory" >"$work/http" 2>"$work/http.err" 8>&- 9>&- &
	http_pid=$!
	# The port line comes once the server listens (or nothing, when it could not).
	read -r http_port <"$work/http" || http_port=
	[ -n "$http_port" ] || fail "Error starting HTTP server: $(sed 's/^http-serve: //' "$work/http.err")"
	say "Starting HTTP server on port $http_port"
fi

# --- the communicator's port -----------------------------------------------------------
# A port of the range that nothing listens on (Packer tries to listen; QEMU then takes it).
free_port () {
	_used=$(awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	_span=$(($2 - $1 + 1))
	_start=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % _span))
	_n=0
	while [ "$_n" -lt "$_span" ]; do
		_p=$(($1 + (_start + _n) % _span))
		_hex=$(printf '%04X' "$_p")
		printf '%s\n' "$_used" | grep -qx "$_hex" || { printf '%s\n' "$_p"; return 0; }
		_n=$((_n + 1))
	done
	return 1
}
communicator=${c_communicator:-ssh}
ssh_port=
if [ "$communicator" = ssh ]; then
	say "Looking for available communicator (SSH, WinRM, etc) port between $c_host_port_min and $c_host_port_max"
	ssh_port=$(free_port "$c_host_port_min" "$c_host_port_max") || fail "Error finding port: no free port between $c_host_port_min and $c_host_port_max"
	say "Found port for communicator (SSH, WinRM, etc): $ssh_port."
fi

# --- QEMU --------------------------------------------------------------------------------
# fill TEXT — run-time template data of qemuargs.
fill () {
	printf '%s' "$1" | sed -e "s|{{ *\.HTTPIP *}}|$http_ip|g" -e "s|{{ *\.HTTPPort *}}|$http_port|g" \
		-e "s|{{ *\.Name *}}|$c_vm_name|g" -e "s|{{ *\.OutputDir *}}|$outdir|g" -e "s|{{ *\.SSHHostPort *}}|$ssh_port|g"
}
# The default arguments, one "flag<TAB>value" a line; a flag the template's qemuargs give
# replaces all defaults of that flag, as in Packer.
tab=$(printf '\t')
{
	printf -- '-name\t%s\n' "$c_vm_name"
	case $c_accelerator in none) printf -- '-machine\ttype=%s\n' "$c_machine_type" ;; *) printf -- '-machine\ttype=%s,accel=%s\n' "$c_machine_type" "$c_accelerator" ;; esac
	_fwd=
	[ -z "$ssh_port" ] || _fwd=",hostfwd=tcp:127.0.0.1:$ssh_port-:$c_ssh_port"
	printf -- '-netdev\tuser,id=user.0%s\n' "$_fwd"
	printf -- '-device\t%s,netdev=user.0\n' "$c_net_device"
	case $c_disk_interface in
	virtio-scsi) printf -- '-device\tvirtio-scsi-pci,id=scsi0\n-device\tscsi-hd,bus=scsi0.0,drive=drive0\n'
		_if="if=none,id=drive0" ;;
	*) _if="if=$c_disk_interface" ;;
	esac
	printf -- '-drive\tfile=%s,%s,cache=%s,discard=%s,format=%s,detect-zeroes=%s\n' "$disk" "$_if" "$c_disk_cache" "$c_disk_discard" "$c_format" "$c_disk_detect_zeroes"
	_k=1
	for _size in $c_disk_additional_size; do
		printf -- '-drive\tfile=%s-%s,if=%s,cache=%s,format=%s\n' "$disk" "$_k" "$c_disk_interface" "$c_disk_cache" "$c_format"
		_k=$((_k + 1))
	done
	if on disk_image; then
		printf -- '-boot\tc\n'
	else
		printf -- '-drive\tfile=%s,media=cdrom\n' "$iso_path"
		printf -- '-boot\tonce=d\n'
	fi
	[ -z "$(cfg firmware)" ] || printf -- '-bios\t%s\n' "$c_firmware"
	printf -- '-m\t%sM\n' "$c_memory"
	printf -- '-smp\tcpus=%s,sockets=%s\n' "$c_cpus" "$c_cpus"
	if has display; then
		printf -- '-display\t%s\n' "$c_display"
	elif on headless || [ -z "${DISPLAY:-}" ]; then
		on use_default_display || printf -- '-display\tnone\n'
	fi
} >"$work/args.default"
: >"$work/args.user"
nrows=$(plan config.qemuargs --format count) || nrows=0
r=0
while [ "$r" -lt "$nrows" ]; do
	_flag=$(fill "$(plan "config.qemuargs[$r][0]")")
	_nv=$(plan "config.qemuargs[$r]" --format count)
	if [ "$_nv" -gt 1 ]; then
		printf '%s\t%s\n' "$_flag" "$(fill "$(plan "config.qemuargs[$r][1]")")" >>"$work/args.user"
	else
		printf '%s\t\n' "$_flag" >>"$work/args.user"
	fi
	r=$((r + 1))
done
cut -f 1 "$work/args.user" | sort -u >"$work/flags.user"
set --
while IFS="$tab" read -r _f _v; do
	grep -qxF -- "$_f" "$work/flags.user" && continue
	set -- "$@" "$_f" "$_v"
done <"$work/args.default"
while IFS="$tab" read -r _f _v; do
	if [ -n "$_v" ]; then set -- "$@" "$_f" "$_v"; else set -- "$@" "$_f"; fi
done <"$work/args.user"
qmp="$work/qmp.sock"
set -- "$@" -qmp "unix:$qmp,server,nowait"
printf '%s\n' "$c_qemu_binary $*" >"$work/qemu.cmd"
if on disk_image; then say "Starting VM, booting disk image"; else say "Starting VM, booting from CD-ROM"; fi
# Not the build's saved stdout and stderr (fds 8, 9): an orphaned QEMU must not hold them.
"$c_qemu_binary" "$@" </dev/null >"$work/qemu.log" 2>&1 8>&- 9>&- &
qemu_pid=$!
# qemu_failed — QEMU is gone: its last words are the error.
qemu_failed () { fail "Error launching VM: Qemu failed to start. Please run with logs to get more info: $(tr '\n' ' ' <"$work/qemu.log")"; }

# --- boot_command ----------------------------------------------------------------------
boot_wait=$(cfg boot_wait)
nboot=$(plan config.boot_command --format count) || nboot=0
if awk -v s="$boot_wait" 'BEGIN { exit !(s > 0) }'; then
	say "Waiting $(go_duration "$boot_wait") for boot..."
	run sleep "$boot_wait"
fi
kill -0 "$qemu_pid" 2>/dev/null || qemu_failed
if [ "$nboot" -gt 0 ]; then
	say "Typing the boot command over QMP..."
	plan config.boot_command --format json >"$work/boot.json" || fail "bad boot_command"
	run boot-command --qmp "$qmp" --http-ip "$http_ip" --http-port "$http_port" --name "$c_vm_name" \
		--key-interval "$(cfg boot_key_interval)s" --group-interval "$(cfg boot_keygroup_interval)s" "$work/boot.json" 2>"$work/err" ||
		{ kill -0 "$qemu_pid" 2>/dev/null || qemu_failed; fail "Error running boot command: $(sed 's/^boot-command: //' "$work/err")"; }
fi

# --- communicator and provisioners --------------------------------------------------------
if [ "$communicator" = ssh ]; then
	ssh_target="$c_ssh_username@127.0.0.1"
	ssh_control=$(mktemp -d) || fail "cannot create a control directory"
	set -- -p "$ssh_port" --known-hosts "$work/known_hosts" --control "$ssh_control"
	has ssh_private_key_file && set -- "$@" -i "$c_ssh_private_key_file"
	if has ssh_password; then
		IMAGE_TOOLS_SSH_PASSWORD=$c_ssh_password
		export IMAGE_TOOLS_SSH_PASSWORD
		set -- "$@" --password-env IMAGE_TOOLS_SSH_PASSWORD
	fi
	# Kept as quoted words (a key file or work directory whose path has a space stays whole).
	ssh_opts=
	for _a in "$@"; do ssh_opts="$ssh_opts $(shell_quote "$_a")"; done
	say "Using ssh communicator to connect: 127.0.0.1"
	say "Waiting for SSH to become available..."
	run ssh-run "$@" --timeout "$(cfg ssh_timeout)" "$ssh_target" --wait 2>"$work/err" || {
		_rc=$?
		kill -0 "$qemu_pid" 2>/dev/null || fail "Error waiting for SSH: the virtual machine stopped: $(tr '\n' ' ' <"$work/qemu.log")"
		[ "$_rc" -eq 75 ] && fail "Timeout waiting for SSH."
		fail "Error waiting for SSH: $(sed 's/^ssh-run: //' "$work/err" | tr '\n' ' ')"
	}
	say "Connected to SSH!"
fi
# shellcheck source=scripts/lib/provision.sh
. "$here/provision.sh"
nprov=$(plan provisioners --format count) || nprov=0
i=0
while [ "$i" -lt "$nprov" ]; do
	ptype=$(plan "provisioners[$i].type")
	plan "provisioners[$i]" --format json >"$work/prov.json"
	[ "$communicator" = ssh ] || fail "provisioners[$i]: the $ptype provisioner needs a communicator (communicator is none)"
	eval "provision ssh-run $ssh_opts"' --sensitive-env IMAGE_TOOLS_SENSITIVE --prefix "$name" --build-name "$name" --builder-type qemu "$ssh_target" --provision "$work/prov.json"'
	i=$((i + 1))
done

# --- shutdown ----------------------------------------------------------------------------
# wait_qemu SECONDS — waits for QEMU to exit, checking every 0.2 s; kills it after SECONDS.
wait_qemu () {
	_end=$(($(date +%s) + ${1%.*}))
	_killed=0
	while qemu_running; do
		if [ "$(date +%s)" -ge "$_end" ]; then kill -KILL "$qemu_pid" 2>/dev/null; _killed=1; break; fi
		run sleep 0.2
	done
	wait "$qemu_pid" 2>/dev/null
	qemu_pid=
	return "$_killed"
}
if has shutdown_command && [ "$communicator" = ssh ]; then
	say "Gracefully halting virtual machine..."
	# The connection may end with the guest: ssh-run's status says nothing here.
	eval "run ssh-run $ssh_opts"' "$ssh_target" "$c_shutdown_command" >/dev/null 2>"$work/err"' || :
	ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || :
	rm -rf "$ssh_control"
	ssh_control=
	msg "Waiting for shutdown..."
	wait_qemu "$(cfg shutdown_timeout)" || fail "Failed to shutdown"
else
	say "Halting the virtual machine..."
	[ -z "$ssh_control" ] || { ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || :; rm -rf "$ssh_control"; ssh_control=; }
	kill -TERM "$qemu_pid" 2>/dev/null
	wait_qemu 10 || :
fi

# --- the disk, converted -----------------------------------------------------------------
if ! on skip_compaction || on disk_compression; then
	say "Converting hard drive..."
	set -- convert -O "$c_format"
	on disk_compression && set -- "$@" -c
	run qemu-img "$@" "$disk" "$disk.convert" >"$work/err" 2>&1 || fail "Error converting hard drive: $(cat "$work/err")"
	mv "$disk.convert" "$disk" || fail "Error converting hard drive: cannot rename $disk.convert"
fi
printf '%s\n' "$disk" >"$out/files"

# --- the post-processors: alicloud-import uploads the disk, as make import does -------------
# (alicloud-build import: its own ledger, reclaim on failure). Other post-processors are
# left to alicloud-build. The template is rendered again there with the same variables.
nchain=$(plan post_processors --format count) || nchain=0
c=0
while [ "$c" -lt "$nchain" ]; do
	ne=$(plan "post_processors[$c]" --format count) || ne=0
	e=0
	while [ "$e" -lt "$ne" ]; do
		if [ "$(plan "post_processors[$c][$e].type")" = alicloud-import ]; then
			[ -n "${ALICLOUD_BUILD_TEMPLATE:-}" ] || fail "alicloud-import: the template is unknown (run through alicloud-build)"
			say "Running post-processor: alicloud-import"
			eval "set -- ${ALICLOUD_BUILD_RENDER:-}"
			set -- -template "$ALICLOUD_BUILD_TEMPLATE" "$@" -only "$name" -on-error="$on_error"
			[ -z "${IMAGE_FORCE_DELETE:-}" ] || set -- "$@" -force
			run sh "$here/import.sh" "$@" "$disk" >"$work/import" || fail "Error running post-processor alicloud-import: exit $?"
			sed -n 's/^\([^ :]*\): \(m-[A-Za-z0-9]*\)$/\1: \2/p' "$work/import" >>"$out/artifact"
			if [ "$(plan "post_processors[$c][$e].keep_input_artifact")" != true ]; then
				say "Deleting original artifact for build '$name'"
				rm -rf "$outdir"
				rm -f "$out/files"
			fi
		fi
		e=$((e + 1))
	done
	c=$((c + 1))
done
status=0
exit 0
