#!/bin/sh
# ecs-build.sh PLAN INDEX OUTDIR — runs one alicloud-ecs build of a rendered plan, with
# Packer's steps and log lines. Every resource is written to the build's ledger before the
# call that creates it, tagged with the build id, and released by lib/reclaim.sh on
# success, failure or TERM. Writes OUTDIR/artifact ("region: image-id" lines) on success.
set -u
umask 077
prog=alicloud-build # for die (lib/common.sh)
export prog
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/common.sh"
# shellcheck source=scripts/lib/breakpoint.sh
. "$here/breakpoint.sh"
# shellcheck source=scripts/lib/uptodate.sh
. "$here/uptodate.sh"

# The plan arrives on stdin (it holds credentials: never written to a file).
[ "$1" = - ] || die "usage: ecs-build.sh - INDEX OUTDIR (the plan on stdin)" 64
plan_json=$(cat)
index=$2
out=$3
state=${ALICLOUD_BUILD_STATE:?}
on_error=${ON_ERROR:-cleanup}
mkdir -p "$out" "$state/ledgers" || die "$state/ledgers: cannot create the ledger directory" 73
build_id="ait-$(date -u +%Y%m%dT%H%M%S)-$(random_hex 4)"
# The build's private files (the temporary SSH key, responses) live in the state dir, 0700,
# so a reclaim after a crash removes them with the rest.
work=$state/work/$build_id
mkdir -p "$work" || die "$work: cannot create the work directory" 73

load_build || exit 65
nprov=$(plan provisioners --format count) || exit 65
# Sensitive values (sensitive-variables, passwords, keys) for the runners to hide in remote
# output, in the environment (never argv).
IMAGE_TOOLS_SENSITIVE=$(printf '%s\n' "$plan_json" | tmpl-render --plan - --query 'sensitive_values[*]' 2>/dev/null) || IMAGE_TOOLS_SENSITIVE=
export IMAGE_TOOLS_SENSITIVE

# tags_file PATH — the string map at PATH (tags, run_tags) as JSON in $work/tags.json, which
# ecs-call --tags-from sends as Tag.N.Key/Value: a value with a newline or tab stays whole.
# $work/pairs keeps "key<TAB>value" lines for the log only.
tags_file () {
	plan "$1" --format json >"$work/tags.json" || return 1
	plan "$1" --format pairs >"$work/pairs" || return 1
}
# api_params ACTION — the plan's parameters of one create call (builds[i].api.ACTION, final
# in tmpl-render) as NUL-ended records in $work/ACTION.params, for ecs-call --params-from
# (a description may hold newlines).
api_params () { plan "api.$1" --format params >"$work/$1.params" || fail "bad plan: api.$1"; }
# Go's fmt of a map, as Packer logs tags: map[k1:v1 k2:v2] (a line without a tab continues
# the value before it, which held a newline).
go_map () {
	printf 'map[%s]' "$(awk -F '\t' '{ if (NF < 2 && NR > 1) printf "\n%s", $0; else printf "%s%s:%s", (NR > 1 ? " " : ""), $1, substr($0, length($1) + 2) }' "$work/pairs")"
}


region=$c_region
# -force on the command line: replace an existing image of the same name.
# shellcheck disable=SC2034
[ -z "${IMAGE_FORCE_DELETE:-}" ] || { c_image_force_delete=true; c_image_force_delete_snapshots=true; }
export ALICLOUD_REGION="$region"
[ -n "${c_access_key-}" ] && export ALICLOUD_ACCESS_KEY="$c_access_key"
[ -n "${c_secret_key-}" ] && export ALICLOUD_SECRET_KEY="$c_secret_key"
[ -n "${c_security_token-}" ] && export ALICLOUD_SECURITY_TOKEN="$c_security_token"
# profile: the aliyun CLI's profile, read by every tool (ecs-call, snap-wait) from its file.
[ -n "${c_profile-}" ] && export ALICLOUD_PROFILE="$c_profile"
[ -n "${c_shared_credentials_file-}" ] && export ALICLOUD_SHARED_CREDENTIALS_FILE="$c_shared_credentials_file"
unset c_access_key c_secret_key c_security_token

# -skip-unchanged: an up-to-date build ends here, before anything exists (lib/uptodate.sh).
[ -z "${IMAGE_TOOLS_SKIP_UNCHANGED:-}" ] || uptodate_skip

tag_key="image-tools-build-id"
ledger="$state/ledgers/$build_id.ledger"
# The work directories hold the rendered plan (credentials, passwords) and the temporary
# key: recorded so that a reclaim after a crash removes them too.
ledger_add start build "$build_id" "$region" name="$name" tag="$tag_key" endpoint="${ALICLOUD_ENDPOINT:-}" pid=$$ \
	work="$work" run="${ALICLOUD_BUILD_RUN_DIR:-}"
tag1="Tag.1.Key=$tag_key"
tag2="Tag.1.Value=$build_id"

cleanup_done=0
status=1
cleanup () {
	[ "$cleanup_done" = 0 ] || return 0
	cleanup_done=1
	trap '' INT TERM HUP
	if [ "$status" -ne 0 ] && [ "$on_error" = abort ]; then
		say "Step failed, aborting: resources are kept; release them later with: make clean"
		msg "ledger: $ledger"
		return 0
	fi
	_mode=success
	[ "$status" -eq 0 ] || _mode=failure
	if [ -n "${ssh_control:-}" ]; then
		ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || true
		rm -rf "$ssh_control"
	fi
	if ! sh "$here/reclaim.sh" "$ledger" "$_mode"; then
		[ "$status" -ne 0 ] || status=1
		printf '%s\n' "some temporary resources could not be released (see above)" >"$out/error"
	fi
	# Interrupted after its images were delivered (kept in the ledger): they are the artifact.
	if [ "$status" -ne 0 ] && [ ! -s "$out/artifact" ]; then
		awk -F '\t' '$2 == "kept" && ($3 == "image" || $3 == "copy") { print $5 ": " $4 }' "$ledger" | sort >"$out/artifact"
	fi
	rm -rf "$work"
}
trap_signals
# A cleanup that cannot release something fails the build even after its last step.
trap 'cleanup; exit "$status"' EXIT

# wait_for WHAT snap-wait-args... — polls with snap-wait; on failure ends the build. Every
# wait follows a call that asked for a change, so the first poll (which could only say
# "not yet") is skipped: --delay 0.5.
wait_for () {
	_what=$1
	shift
	run snap-wait --region "$region" --delay 0.5 "$@" >"$work/wait" 2>"$work/err" || fail "$_what: $(sed 's/^snap-wait: //' "$work/err" | tr '\n' ' ')"
}

# not_running — prints the instance's status and succeeds when it is not Running (asked
# only when the communicator could not connect, to name the cause).
not_running () {
	_st=$(api_query 'Instances.Instance[0].Status' DescribeInstances RegionId="$region" InstanceIds="[\"$instance\"]" 2>/dev/null) || return 1
	[ -n "$_st" ] && [ "$_st" != Running ] && printf '%s\n' "$_st"
}

# --- 1. prevalidate ----------------------------------------------------------------
if on skip_region_validation; then
	say "Skip region validation flag found, skipping prevalidating source region and copied regions."
else
	say "Prevalidating source region and copied regions..."
	api_query 'Regions.Region[*].RegionId' DescribeRegions >"$work/regions" || fail "Error: $(api_error)"
	for r in $region $(cfg image_copy_regions); do
		grep -qx "$r" "$work/regions" || fail "Error: invalid region: $r"
	done
fi
if on image_force_delete; then
	say "Force delete flag found, skipping prevalidating image name."
else
	say "Prevalidating image name..."
	existing=$(api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" ImageName="$c_image_name" \
		ImageOwnerAlias=self Status=Waiting,Creating,CreateFailed,Available) || fail "Error: $(api_error)"
	[ -z "$existing" ] || fail "Error: Image Name: '$c_image_name' is used by an existing alicloud image: $(printf '%s' "$existing" | head -n 1)"
fi

# --- 2. source image ---------------------------------------------------------------
# image_family (a plugin key): the family's newest Available image; the instance is then
# created from the family, as the plugin does (CreateInstance ImageFamily).
if has image_family; then
	found=$(api_query 'Image.ImageId' DescribeImageFromFamily RegionId="$region" ImageFamily="$c_image_family") || fail "Error: $(api_error)"
	[ -n "$found" ] || fail "No alicloud image was found in the image family: $c_image_family"
else
	_show=
	on skip_image_validation && _show=ShowExpired=true
	found=$(api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" ImageId="$c_source_image" $_show) || fail "Error: $(api_error)"
	[ -n "$found" ] || found=$(api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" ImageId="$c_source_image" ImageOwnerAlias=marketplace) || fail "Error: $(api_error)"
	[ -n "$found" ] || fail "No alicloud image was found matching filters: $c_source_image"
fi
msg "Found image ID: $(printf '%s' "$found" | head -n 1)"

# --- 3. key pair -------------------------------------------------------------------
communicator=${c_communicator:-ssh}
keyfile=
keypair=
eip=
if [ "$communicator" = ssh ] && has ssh_private_key_file; then
	say "Using existing SSH private key"
	keyfile=$c_ssh_private_key_file
	keypair=$(cfg ssh_keypair_name)
elif [ "$communicator" = ssh ] && has ssh_password; then
	say "Not using temporary keypair"
elif [ "$communicator" = winrm ] && has winrm_password; then
	say "Not using temporary keypair"
elif [ "$communicator" = none ]; then
	:
else
	keypair=$c_temporary_key_pair_name
	say "Creating temporary keypair: $keypair"
	ledger_add intent keypair "$keypair"
	# shellcheck disable=SC2086
	api CreateKeyPair RegionId="$region" KeyPairName="$keypair" "$tag1" "$tag2" || fail "Error creating temporary keypair: $(api_error)"
	ledger_add created keypair "$keypair"
	keyfile="$work/ssh_key"
	ecs-call --from-response "$work/out" --query PrivateKeyBody >"$keyfile" 2>"$work/err" || fail "Error reading temporary keypair: $(api_error)"
	chmod 600 "$keyfile"
	: >"$work/out"
fi

# --- 4. VPC, 5. VSwitch ------------------------------------------------------------
if has vpc_id; then
	vpc=$c_vpc_id
	api_query 'Vpcs.Vpc[*].VpcId' --product vpc DescribeVpcs RegionId="$region" VpcId="$vpc" >"$work/q" || fail "Failed querying vpcs: $(api_error)"
	grep -qx "$vpc" "$work/q" || fail "The specified vpc {$vpc} doesn't exist."
else
	say "Creating vpc..."
	token=$(client_token)
	ledger_add intent vpc - "$region" "token=$token"
	api_params CreateVpc
	set -- RegionId="$region" ClientToken="$token" "$tag1" "$tag2" --params-from "$work/CreateVpc.params"
	vpc=$(api_query VpcId --product vpc CreateVpc "$@") || fail "Failed creating vpc: $(api_error)"
	ledger_add created vpc "$vpc"
	wait_for "Timeout waiting for vpc to become available" --vpc "$vpc" --status Available --timeout 180
	msg "Created vpc: $vpc"
fi

if has vswitch_id; then
	vswitch=$c_vswitch_id
	api_query 'VSwitches.VSwitch[*].VSwitchId' --product vpc DescribeVSwitches RegionId="$region" VpcId="$vpc" VSwitchId="$vswitch" >"$work/q" || fail "Failed querying vswitch: $(api_error)"
	grep -qx "$vswitch" "$work/q" || fail "The specified vswitch {$vswitch} doesn't exist."
else
	zone=$c_zone_id
	if [ -z "$zone" ]; then
		# Packer picks the last zone offering VSwitches and the instance type.
		api DescribeZones RegionId="$region" || fail "Query for available zones failed: $(api_error)"
		cp "$work/out" "$work/zones"
		nz=$(ecs-call --from-response "$work/zones" --query Zones.Zone --format count) || nz=0
		k=0
		while [ "$k" -lt "$nz" ]; do
			z() { ecs-call --from-response "$work/zones" --query "Zones.Zone[$k].$1" 2>/dev/null; }
			if z 'AvailableResourceCreation.ResourceTypes[*]' | grep -qx VSwitch &&
				z 'AvailableInstanceTypes.InstanceTypes[*]' | grep -qx "$c_instance_type"; then
				zone=$(z ZoneId)
			fi
			k=$((k + 1))
		done
		[ -n "$zone" ] || fail "The instance type $c_instance_type isn't available in this region."
	fi
	say "Creating vswitch..."
	token=$(client_token)
	ledger_add intent vswitch - "$region" "token=$token"
	# The zone: zone_id, or the one found above (a run-time value, so not in the plan).
	api_params CreateVSwitch
	set -- RegionId="$region" ClientToken="$token" VpcId="$vpc" "$tag1" "$tag2" ZoneId="$zone" --params-from "$work/CreateVSwitch.params"
	vswitch=$(api_query VSwitchId --product vpc CreateVSwitch "$@") || fail "Create vswitch failed: $(api_error)"
	ledger_add created vswitch "$vswitch"
	wait_for "Timeout waiting for vswitch to become available" --vswitch "$vswitch" --status Available --timeout 180
	msg "Created vswitch: $vswitch"
fi

# --- 6. security group: only the communicator's port, from a configurable CIDR -------
case $communicator in
winrm) port=$c_winrm_port ;;
*) port=$c_ssh_port ;;
esac
if has security_group_id; then
	sg=$c_security_group_id
	api_query 'SecurityGroups.SecurityGroup[*].SecurityGroupId' DescribeSecurityGroups RegionId="$region" VpcId="$vpc" SecurityGroupId="$sg" >"$work/q" || fail "Failed querying security group: $(api_error)"
	grep -qx "$sg" "$work/q" || fail "The specified security group {$sg} doesn't exist."
else
	say "Creating security group..."
	token=$(client_token)
	ledger_add intent securitygroup - "$region" "token=$token"
	api_params CreateSecurityGroup
	set -- RegionId="$region" ClientToken="$token" VpcId="$vpc" "$tag1" "$tag2" --params-from "$work/CreateSecurityGroup.params"
	sg=$(api_query SecurityGroupId CreateSecurityGroup "$@") || fail "Failed creating security group: $(api_error)"
	ledger_add created securitygroup "$sg"
	if [ "$communicator" != none ]; then
		api AuthorizeSecurityGroup RegionId="$region" SecurityGroupId="$sg" ClientToken="$(client_token)" \
			Permissions.1.IpProtocol=tcp Permissions.1.PortRange="$port/$port" \
			Permissions.1.SourceCidrIp="${SG_SOURCE_CIDR:-0.0.0.0/0}" Permissions.1.Policy=accept \
			Permissions.1.Description="image build $build_id" || fail "authorizing security group failed: $(api_error)"
	fi
	msg "Created security group: $sg"
fi

# --- 7. instance ---------------------------------------------------------------------
say "Creating instance..."
token=$(client_token)
ledger_add intent instance - "$region" "token=$token"
# The template's parameters (image, type, network charge, disks, user data...) come whole
# from the plan; the password travels to ecs-call in its environment, never in argv.
api_params CreateInstance
set -- RegionId="$region" ClientToken="$token" SecurityGroupId="$sg" VSwitchId="$vswitch" "$tag1" "$tag2" \
	--params-from "$work/CreateInstance.params"
if has ssh_password; then IMAGE_TOOLS_INSTANCE_PASSWORD=$c_ssh_password; fi
if has winrm_password; then IMAGE_TOOLS_INSTANCE_PASSWORD=$c_winrm_password; fi
if [ -n "${IMAGE_TOOLS_INSTANCE_PASSWORD:-}" ]; then
	export IMAGE_TOOLS_INSTANCE_PASSWORD
	set -- "$@" --param-env Password=IMAGE_TOOLS_INSTANCE_PASSWORD
fi
instance=$(api_query InstanceId CreateInstance "$@") || fail "Error creating instance: $(api_error)"
unset IMAGE_TOOLS_INSTANCE_PASSWORD
ledger_add created instance "$instance"
if has run_tags; then
	tags_file config.run_tags || fail "bad run_tags"
	api TagResources RegionId="$region" ResourceType=instance ResourceId.1="$instance" --tags-from "$work/tags.json" || fail "Error tagging instance: $(api_error)"
fi
wait_for "Error waiting create instance" --instance "$instance" --status Stopped --timeout 1800
msg "Created instance: $instance"

# --- 8. public address -------------------------------------------------------------
if on ssh_private_ip; then
	address=$(api_query 'Instances.Instance[0].VpcAttributes.PrivateIpAddress.IpAddress[0]' DescribeInstances RegionId="$region" InstanceIds="[\"$instance\"]") \
		|| fail "Failed to get private ip of instance"
	[ -n "$address" ] || fail "Failed to get private ip of instance"
	msg "Private IP: $address"
elif has eip_id; then
	# The template's own EIP: bound to the instance and unbound after the stop, never
	# released. It is not in the ledger: deleting the instance (the cleanup) unbinds it.
	say "Querying eip..."
	eip=$c_eip_id
	address=$(api_query 'EipAddresses.EipAddress[0].IpAddress' --product vpc DescribeEipAddresses RegionId="$region" AllocationId="$eip") \
		|| fail "Failed querying eip: $(api_error)"
	[ -n "$address" ] || fail "The specified eip {$eip} doesn't exist."
	msg "Using eip: $address"
	api --product vpc AssociateEipAddress RegionId="$region" AllocationId="$eip" InstanceId="$instance" ClientToken="$(client_token)" \
		--retry-codes 'TaskConflict,IncorrectInstanceStatus*' --retries 30 --timeout 180 || fail "Error associating eip: $(api_error)"
elif [ "$c_associate_public_ip_address" = false ]; then
	# No EIP: the instance's own public IP, released with the instance.
	say "Allocating public ip..."
	address=$(api_query IpAddress AllocatePublicIpAddress RegionId="$region" InstanceId="$instance" \
		--retry-codes 'IncorrectInstanceStatus*' --retries 30 --timeout 120) || fail "Error allocating public ip: $(api_error)"
	msg "Allocated public ip: $address"
else
	say "Allocating eip..."
	token=$(client_token)
	ledger_add intent eip - "$region" "token=$token"
	api_params AllocateEipAddress
	api --product vpc AllocateEipAddress RegionId="$region" ClientToken="$token" "$tag1" "$tag2" --params-from "$work/AllocateEipAddress.params" || fail "Error allocating eip: $(api_error)"
	cp "$work/out" "$work/eip"
	eip=$(ecs-call --from-response "$work/eip" --query AllocationId) || fail "Error allocating eip: no AllocationId"
	address=$(ecs-call --from-response "$work/eip" --query EipAddress) || fail "Error allocating eip: no EipAddress"
	ledger_add created eip "$eip"
	# No poll for Available or InUse: the association is retried while the EIP is still
	# being allocated, and the communicator's wait covers the rest.
	api --product vpc AssociateEipAddress RegionId="$region" AllocationId="$eip" InstanceId="$instance" ClientToken="$(client_token)" \
		--retry-codes 'TaskConflict,IncorrectInstanceStatus*,IncorrectEipStatus' --retries 30 --timeout 180 || fail "Error binding eip: $(api_error)"
	msg "Allocated eip: $address"
fi

# --- 9. key pair, 10. start --------------------------------------------------------
if [ -n "$keypair" ]; then
	msg "Attach keypair $keypair to instance: $instance"
	api AttachKeyPair RegionId="$region" KeyPairName="$keypair" InstanceIds="[\"$instance\"]" \
		--retry-codes 'IncorrectInstanceStatus*,OperationConflict' --retries 30 --timeout 60 || fail "Error attaching keypair $keypair to instance $instance : $(api_error)"
	# A call that names several instances answers 200 and reports each one in Results.
	[ "$(ecs-call --from-response "$work/out" --query FailCount 2>/dev/null)" = 0 ] ||
		fail "Error attaching keypair $keypair to instance $instance : $(ecs-call --from-response "$work/out" --query 'Results.Result[0].Code' 2>/dev/null)"
fi
say "Starting instance: $instance"
api StartInstance RegionId="$region" InstanceId="$instance" --retry-codes 'IncorrectInstanceStatus*' --retries 30 --timeout 120 || fail "Error starting instance: $(api_error)"
# No polling for Running (Packer polls): the communicator's wait below is the readiness
# check that matters, and it costs no API calls. When it fails, the instance's state names
# the cause.

# --- 11. connect, 12. provision ----------------------------------------------------
# wait_comm TOOL LABEL TIMEOUT TARGET TOOL-ARGS... — waits until the communicator answers
# (TOOL --wait); on failure ends the build, naming the cause (the instance's state first).
wait_comm () {
	_tool=$1 _label=$2 _timeout=$3 _target=$4
	shift 4
	run "$_tool" "$@" --timeout "$_timeout" "$_target" --wait 2>"$work/err" || {
		_rc=$?
		_st=$(not_running) && fail "Timeout waiting for instance to start: $instance is $_st"
		[ "$_rc" -eq 75 ] && fail "Timeout waiting for $_label."
		fail "Error waiting for $_label: $(sed "s/^$_tool: //" "$work/err" | tr '\n' ' ')"
	}
}
# pause_before_connecting — after the first connection, Packer waits this long and connects
# again (a guest whose bootstrap restarts sshd or WinRM). Fails when there is no pause.
pause_before_connecting () {
	[ "$c_pause_before_connecting" != 0 ] || return 1
	say "Pausing ${c_pause_before_connecting}s before connecting..."
	run sleep "$c_pause_before_connecting"
}
ssh_target=
if [ "$communicator" = ssh ]; then
	user=$c_ssh_username
	ssh_target="$user@$address"
	# ssh's control socket needs a short path (a Unix socket path has 107 bytes at most).
	ssh_control=$(mktemp -d) || fail "cannot create a control directory"
	# Recorded so a reclaim after a SIGKILL can end the connection master it leaves.
	ledger_add created control "$ssh_control"
	set -- -p "$port" --known-hosts "$work/known_hosts" --control "$ssh_control"
	[ -n "$keyfile" ] && set -- "$@" -i "$keyfile"
	if has ssh_password; then
		IMAGE_TOOLS_SSH_PASSWORD=$c_ssh_password
		export IMAGE_TOOLS_SSH_PASSWORD
		set -- "$@" --password-env IMAGE_TOOLS_SSH_PASSWORD
	fi
	has ssh_bastion_host && set -- "$@" --bastion "$(cfg ssh_bastion_username)@$c_ssh_bastion_host:$c_ssh_bastion_port"
	has ssh_ciphers && set -- "$@" -o "Ciphers=$(printf '%s\n' "$c_ssh_ciphers" | paste -sd , -)"
	has ssh_key_exchange_algorithms && set -- "$@" -o "KexAlgorithms=$(printf '%s\n' "$c_ssh_key_exchange_algorithms" | paste -sd , -)"
	# Kept as quoted words for eval: a key path or user name with spaces stays one argument.
	ssh_opts=
	for _a in "$@"; do ssh_opts="$ssh_opts $(shell_quote "$_a")"; done
	say "Using ssh communicator to connect: $address"
	say "Waiting for SSH to become available..."
	wait_comm ssh-run SSH "$c_ssh_timeout" "$ssh_target" "$@"
	if pause_before_connecting; then
		ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || :
		wait_comm ssh-run SSH "$c_ssh_timeout" "$ssh_target" "$@"
	fi
	say "Connected to SSH!"
elif [ "$communicator" = winrm ]; then
	say "Using winrm communicator to connect: $address"
	say "Waiting for WinRM to become available..."
	WINRM_PASSWORD=$(cfg winrm_password)
	export WINRM_PASSWORD
	set -- -u "$c_winrm_username" --password-env WINRM_PASSWORD --port "$port"
	on winrm_use_ssl && set -- "$@" --https
	on winrm_insecure && set -- "$@" --insecure
	winrm_opts=
	for _a in "$@"; do winrm_opts="$winrm_opts $(shell_quote "$_a")"; done
	wait_comm winrm-run WinRM "$c_winrm_timeout" "$address" "$@"
	if pause_before_connecting; then wait_comm winrm-run WinRM "$c_winrm_timeout" "$address" "$@"; fi
	say "Connected to WinRM!"
fi

# shellcheck source=scripts/lib/provision.sh
. "$here/provision.sh"

i=0
while [ "$i" -lt "$nprov" ]; do
	ptype=$(plan "provisioners[$i].type")
	plan "provisioners[$i]" --format json >"$work/prov.json"
	case $ptype:$communicator in
	breakpoint:*) breakpoint "provisioners[$i]" ;;
	*:winrm)
		eval "provision winrm-run $winrm_opts"' --sensitive-env IMAGE_TOOLS_SENSITIVE --prefix "$name" --build-name "$name" --builder-type alicloud-ecs "$address" --provision "$work/prov.json"' ;;
	*)
		eval "provision ssh-run $ssh_opts"' --sensitive-env IMAGE_TOOLS_SENSITIVE --prefix "$name" --build-name "$name" --builder-type alicloud-ecs "$ssh_target" --provision "$work/prov.json"' ;;
	esac
	i=$((i + 1))
done

# --- 13. the temporary key out of authorized_keys --------------------------------------
# With ssh_clear_authorized_keys (true in the plan only when this build made the temporary
# key pair), the lines ending in " <key pair name>" (the public key's comment) leave the
# login user's authorized_keys and, for a user other than root, root's through sudo: the
# platform put the key there at boot, and the image would keep it. As in Packer, a failure
# is reported and the build goes on. sed -i.bak: the suffix form every sed accepts.
if on ssh_clear_authorized_keys; then
	say "Trying to remove ephemeral keys from authorized_keys files"
	# The name as a basic regular expression matching itself (a "." in it is no wildcard).
	key_re=$(printf '%s' "$c_temporary_key_pair_name" | sed 's/[]\\/.*^$[]/\\&/g')
	# shellcheck disable=SC2088 # the remote shell expands the ~
	set -- '~/.ssh/authorized_keys' ''
	[ "$c_ssh_username" = root ] || set -- "$@" /root/.ssh/authorized_keys 'sudo '
	while [ $# -gt 0 ]; do
		keys_file=$1 as=$2
		shift 2
		# shellcheck disable=SC2034 # read by the eval below
		clear_cmd="${as}sed -i.bak $(shell_quote "/ $key_re\$/d") $keys_file && ${as}rm -f $keys_file.bak"
		clear_rc=0
		eval "run ssh-run $ssh_opts"' --sensitive-env IMAGE_TOOLS_SENSITIVE --prefix "$name" "$ssh_target" -- "$clear_cmd"' >&2 || clear_rc=$?
		[ "$clear_rc" -eq 0 ] || say "Error removing the temporary key from $keys_file (exit status $clear_rc): remove it from the image by hand"
	done
fi

if [ -n "$ssh_target" ]; then
	ssh-run --control "$ssh_control" --close "$ssh_target" >/dev/null 2>&1 || true
	rm -rf "$ssh_control"
	ssh_control=
fi
unset WINRM_PASSWORD

# --- 14. stop --------------------------------------------------------------------------
if on disable_stop_instance; then
	say "Automatic instance stop disabled. Waiting for instance to stop: $instance"
else
	say "Stopping instance: $instance"
	force=false
	on force_stop_instance && force=true
	api StopInstance RegionId="$region" InstanceId="$instance" ForceStop="$force" --retry-codes 'IncorrectInstanceStatus*' --retries 30 --timeout 120 \
		|| fail "Error stopping alicloud instance: $(api_error)"
fi
say "Waiting instance stopped: $instance"
wait_for "Error waiting for alicloud instance to stop" --instance "$instance" --status Stopped --timeout 1800
# The public address has served its purpose: unbound now, while the image is made, the
# cleanup releases it at once instead of waiting out the unbinding. A failure here is left
# to the cleanup, which unbinds what is still bound.
if [ -n "${eip:-}" ]; then
	api --product vpc UnassociateEipAddress RegionId="$region" AllocationId="$eip" InstanceId="$instance" \
		--accept 'InvalidAllocationId.NotFound,IncorrectEipStatus' || :
fi

[ "$(cfg skip_create_image)" != true ] || { msg "skip_create_image is set: no image created"; status=0; : >"$out/artifact"; exit 0; }

# --- 15-17. image ------------------------------------------------------------------
# With image_force_delete the old image is deleted only once the new one exists: the new
# image is made under a temporary name, then the old one goes, then the new one is renamed.
# old_images REGION NAME — the self-owned images a force-delete replaces (none without it).
old_images () {
	on image_force_delete || return 0
	api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$1" ImageName="$2" \
		ImageOwnerAlias=self Status=Waiting,Creating,CreateFailed,Available || fail "Error: $(api_error)"
}
# retire_old REGION NAME NEW-IMAGE OLD-IMAGES... — deletes the old images (and their
# snapshots with image_force_delete_snapshots), then gives the new image the name.
retire_old () {
	_r=$1 _n=$2 _new=$3
	shift 3
	[ $# -gt 0 ] || return 0
	say "Deleting duplicated image and snapshot in $_r: $_n"
	for _old in "$@"; do
		_snaps=$(api_query 'Images.Image[*].DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' DescribeImages RegionId="$_r" \
			ImageId="$_old" ImageOwnerAlias=self Status=Waiting,Creating,CreateFailed,Available) || _snaps=
		api DeleteImage RegionId="$_r" ImageId="$_old" Force=true --accept '*.NotFound' || fail "Failed to delete image: $(api_error)"
		if on image_force_delete_snapshots; then
			for _s in $_snaps; do
				api DeleteSnapshot RegionId="$_r" SnapshotId="$_s" Force=true --accept '*.NotFound' || fail "Failed to delete snapshot: $(api_error)"
			done
		fi
	done
	api ModifyImageAttribute RegionId="$_r" ImageId="$_new" ImageName="$_n" || fail "Failed to rename image: $(api_error)"
}
image_name=$c_image_name
old=$(old_images "$region" "$c_image_name")
[ -z "$old" ] || image_name="$c_image_name-$build_id"
# image_encrypted (Packer's step_create_image and step_region_copy_image): the image is made
# under a temporary name, copied into its own region with Encrypted=true (and the
# kms_key_id), and the encrypted copy is delivered; the temporary image and its snapshots
# are released with the build's other temporary resources. An explicit false does nothing
# (Packer 1.6.6 makes an unencrypted same-name copy there, which the API refuses).
encrypt=
if on image_encrypted; then
	encrypt=1
	image_name="packer_$(random_hex 4 | cut -c1-7)"
fi
snapshot_timeout=$c_wait_snapshot_ready_timeout
copy_timeout=$c_wait_copying_image_ready_timeout
token=$(client_token)
api_params CreateImage
set -- RegionId="$region" ClientToken="$token" ImageName="$image_name" "$tag1" "$tag2" --params-from "$work/CreateImage.params"
if on image_ignore_data_disks; then
	disk=$(api_query 'Disks.Disk[0].DiskId' DescribeDisks RegionId="$region" InstanceId="$instance" DiskType=system) || fail "Error describe disks: $(api_error)"
	stoken=$(client_token)
	ledger_add intent snapshot - "$region" token="$stoken"
	snap=$(api_query SnapshotId CreateSnapshot RegionId="$region" DiskId="$disk" ClientToken="$stoken" "$tag1" "$tag2") || fail "Error creating snapshot: $(api_error)"
	ledger_add created snapshot "$snap"
	say "Creating snapshot from system disk $disk: $snap"
	wait_for "Timeout waiting for snapshot to be created" --snapshot "$snap" --timeout "$snapshot_timeout"
	set -- "$@" SnapshotId="$snap"
else
	set -- "$@" InstanceId="$instance"
fi
if [ -n "$encrypt" ]; then say "Creating temporary image for encryption: $image_name"; else say "Creating image: $c_image_name"; fi
ledger_add intent image - "$region" token="$token"
image=$(api_query ImageId CreateImage "$@") || fail "Error creating image: $(api_error)"
ledger_add created image "$image"
wait_for "Timeout waiting for image to be created" --image "$image" --timeout "$snapshot_timeout"
image_snaps=$(ecs-call --from-response "$work/wait" --query 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' 2>/dev/null) || image_snaps=
delivered=$image
if [ -n "$encrypt" ]; then
	say "Coping image $image from $region..."
	ctoken=$(client_token)
	ledger_add intent copy - "$region" token="$ctoken"
	ename=$c_image_name
	[ -z "$old" ] || ename="$c_image_name-$build_id"
	api_params EncryptedCopyImage
	set -- RegionId="$region" ImageId="$image" DestinationRegionId="$region" DestinationImageName="$ename" \
		ClientToken="$ctoken" "$tag1" "$tag2" --params-from "$work/EncryptedCopyImage.params"
	delivered=$(api_query ImageId CopyImage "$@") || fail "Error copying images: $(api_error)"
	ledger_add created copy "$delivered" "$region"
	msg "Copy image from $region($image) to $region($delivered)"
	wait_for "Timeout waiting image $delivered finish copying" --image "$delivered" --timeout "$copy_timeout"
	image_snaps=$(ecs-call --from-response "$work/wait" --query 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' 2>/dev/null) || image_snaps=
fi
# shellcheck disable=SC2086 # image ids
retire_old "$region" "$c_image_name" "$delivered" $old

# --- 18. tags: the image and every snapshot ----------------------------------------
# tag_resource REGION TYPE ID — the template's tags on one resource.
tag_resource () {
	api TagResources RegionId="$1" ResourceType="$2" ResourceId.1="$3" --tags-from "$work/tags.json"
}
if has tags; then
	tags_file config.tags || fail "bad tags"
	say "Adding tags($(go_map)) to image: $delivered"
	tag_resource "$region" image "$delivered" || fail "Error adding tags to image: $(api_error)"
	for s in $image_snaps; do
		say "Adding tags($(go_map)) to snapshot: $s"
		tag_resource "$region" snapshot "$s" || fail "Error adding tags to snapshot: $(api_error)"
	done
fi

uptodate_tag "$region" "$delivered" || fail "Error adding tags to image: $(api_error)"

# --- 19. copies (waited for and tagged), 20. sharing --------------------------------
printf '%s: %s\n' "$region" "$delivered" >"$work/artifact"
if has image_copy_regions; then
	[ -n "$encrypt" ] || say "Coping image $image from $region..."
	n=0
	for r in $c_image_copy_regions; do
		n=$((n + 1))
		cname=$(printf '%s\n' "$(cfg image_copy_names)" | sed -n "${n}p")
		[ -n "$cname" ] || cname=$c_image_name
		old=$(old_images "$r" "$cname")
		tmpname=$cname
		[ -z "$old" ] || tmpname="$cname-$build_id"
		ctoken=$(client_token)
		ledger_add intent copy - "$r" "token=$ctoken"
		api_params CopyImage
		set -- RegionId="$region" ImageId="$image" DestinationRegionId="$r" ClientToken="$ctoken" "$tag1" "$tag2" DestinationImageName="$tmpname" \
			--params-from "$work/CopyImage.params"
		copy=$(api_query ImageId CopyImage "$@") || fail "Error copying images: $(api_error)"
		ledger_add created copy "$copy" "$r"
		msg "Copy image from $region($image) to $r($copy)"
		run snap-wait --region "$r" --image "$copy" --timeout "$copy_timeout" >"$work/wait" 2>"$work/err" || fail "Timeout waiting for image copy: $(sed 's/^snap-wait: //' "$work/err")"
		# shellcheck disable=SC2086 # image ids
		retire_old "$r" "$cname" "$copy" $old
		uptodate_tag "$r" "$copy" || fail "Error adding tags to image copy: $(api_error)"
		if has tags; then
			tag_resource "$r" image "$copy" || fail "Error adding tags to image copy: $(api_error)"
			for s in $(ecs-call --from-response "$work/wait" --query 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' 2>/dev/null); do
				tag_resource "$r" snapshot "$s" || fail "Error adding tags to snapshot: $(api_error)"
			done
		fi
		printf '%s: %s\n' "$r" "$copy" >>"$work/artifact"
	done
fi
if has image_share_account || has image_unshare_account; then
	while read -r line; do
		r=${line%%: *}
		id=${line#*: }
		set -- RegionId="$r" ImageId="$id"
		n=0
		for a in $(cfg image_share_account); do n=$((n + 1)); set -- "$@" AddAccount.$n="$a"; done
		n=0
		for a in $(cfg image_unshare_account); do n=$((n + 1)); set -- "$@" RemoveAccount.$n="$a"; done
		api ModifyImageSharePermission "$@" || fail "Failed modifying image share permissions: $(api_error)"
	done <"$work/artifact"
fi

# Delivered: the images (and their snapshots) are kept; everything else is released.
while read -r line; do
	r=${line%%: *}
	id=${line#*: }
	if [ "$r" = "$region" ] && [ -z "$encrypt" ]; then ledger_add kept image "$id" "$r"; else ledger_add kept copy "$id" "$r"; fi
done <"$work/artifact"
# The system disk's snapshot (image_ignore_data_disks) is the delivered image's, unless that
# image is the encrypted copy.
[ -z "${snap:-}" ] || [ -n "$encrypt" ] || ledger_add kept snapshot "$snap"
sort "$work/artifact" >"$out/artifact"
status=0
exit 0
