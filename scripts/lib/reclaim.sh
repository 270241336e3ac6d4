#!/bin/sh
# reclaim.sh LEDGER [success|failure|reclaim] [KIND,KIND...]
# Releases every resource a build's ledger records as created and not yet released or
# kept, plus any resource carrying the build's id tag of a kind the ledger meant to create
# (a create whose response was lost). Idempotent: safe to run twice, and after a crash.
# Exit 0 when nothing is left, 1 when something could not be released (each is named).
set -u
umask 077
prog=alicloud-build
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/common.sh"

ledger=$1
mode=${2:-reclaim}
# With a kind list only those kinds are released (a build lets its EIP and key go as soon
# as provisioning is over) and the ledger stays open.
only=${3:-}
[ -f "$ledger" ] || die "$ledger: no such ledger" 66
work=$(mktemp -d) || die "cannot create a work directory" 73
trap 'rm -rf "$work"' EXIT

# The start line: "start <tab> build <tab> BUILD_ID <tab> REGION <tab> name=N endpoint=URL tag=KEY..."
# (ids, regions and values escaped: lib/common.sh's ledger_add).
start=$(awk -F '\t' '$2 == "start" { print; exit }' "$ledger")
[ -n "$start" ] || die "$ledger: no start record" 65
ledger_value build_id "$(printf '%s\n' "$start" | cut -f4)"
ledger_value region "$(printf '%s\n' "$start" | cut -f5)"
detail=$(printf '%s\n' "$start" | cut -f6)
# field VAR KEY — VAR set to the start record's value of KEY.
field () { ledger_value "$1" "$(ledger_field "$detail" "$2")"; }
field name name
field tag_key tag
[ -n "$name" ] || name=$build_id
field _ep endpoint
if [ -n "$_ep" ] && [ -z "${ALICLOUD_ENDPOINT:-}" ]; then ALICLOUD_ENDPOINT=$_ep; export ALICLOUD_ENDPOINT; fi
field _oss oss
if [ -n "$_oss" ] && [ -z "${ALICLOUD_OSS_ENDPOINT:-}" ]; then ALICLOUD_OSS_ENDPOINT=$_oss; export ALICLOUD_OSS_ENDPOINT; fi
# Calls go to the build's region, whatever region the caller's environment names.
[ -z "$region" ] || { ALICLOUD_REGION=$region; export ALICLOUD_REGION; }

# live KIND: "id region" of each resource created and neither released nor kept, newest first
# (both as the ledger holds them: escaped, so neither has a space).
live () {
	awk -F '\t' -v kind="$1" '
		$3 != kind { next }
		$2 == "created" { if (!($4 in seen)) { order[++n] = $4; seen[$4] = 1 }; reg[$4] = $5; gone[$4] = 0 }
		$2 == "released" || $2 == "kept" { gone[$4] = 1 }
		END { for (i = n; i >= 1; i--) if (!gone[order[i]]) print order[i], reg[order[i]] }
	' "$ledger"
}
# Whether a create of KIND has an unknown outcome: more intents than created records (the
# response was lost, or the build died in between). Only then is the tag searched.
unresolved () {
	awk -F '\t' -v kind="$1" '$3 == kind && $2 == "intent" { i++ } $3 == kind && $2 == "created" { c++ } END { exit !(i > c) }' "$ledger"
}
# kept ID: whether the build delivered ID (escaped, as in the ledger). awk -v would take the
# backslashes of an escaped id for escapes of its own: ID travels in the environment.
kept () { ID=$1 awk -F '\t' '$2 == "kept" && $4 == ENVIRON["ID"] { found = 1 } END { exit !found }' "$ledger"; }

# Resources of KIND found by the build's tag (only for kinds the ledger meant to create).
tagged () {
	unresolved "$1" || return 0
	[ -n "$tag_key" ] || return 0
	_tags="Tag.1.Key=$tag_key Tag.1.Value=$build_id"
	if [ "$1" = copy ]; then
		# Copies (image_encrypted's and image_copy_regions') live in the regions their intents name.
		awk -F '\t' '$2 == "intent" && $3 == "copy" { print $5 }' "$ledger" | sort -u | while read -r _cr; do
			ledger_value _cr "$_cr"
			# shellcheck disable=SC2086
			api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$_cr" $_tags ImageOwnerAlias=self \
				Status=Creating,Waiting,Available,UnAvailable,CreateFailed PageSize=100 | while read -r _id; do [ -n "$_id" ] && printf '%s %s\n' "$_id" "$_cr"; done
		done
		return 0
	fi
	# shellcheck disable=SC2086
	case $1 in
	vpc) api_query 'Vpcs.Vpc[*].VpcId' --product vpc DescribeVpcs RegionId="$region" $_tags PageSize=50 ;;
	vswitch) api_query 'VSwitches.VSwitch[*].VSwitchId' --product vpc DescribeVSwitches RegionId="$region" $_tags PageSize=50 ;;
	securitygroup) api_query 'SecurityGroups.SecurityGroup[*].SecurityGroupId' DescribeSecurityGroups RegionId="$region" $_tags PageSize=50 ;;
	instance) api_query 'Instances.Instance[*].InstanceId' DescribeInstances RegionId="$region" $_tags PageSize=100 ;;
	eip) api_query 'EipAddresses.EipAddress[*].AllocationId' --product vpc DescribeEipAddresses RegionId="$region" $_tags PageSize=100 ;;
	snapshot) api_query 'Snapshots.Snapshot[*].SnapshotId' DescribeSnapshots RegionId="$region" $_tags PageSize=100 ;;
	image) api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" $_tags ImageOwnerAlias=self \
		Status=Creating,Waiting,Available,UnAvailable,CreateFailed PageSize=100 ;;
	keypair) api_query 'KeyPairs.KeyPair[*].KeyPairName' DescribeKeyPairs RegionId="$region" $_tags PageSize=50 ;;
	esac | while read -r _id; do [ -n "$_id" ] && printf '%s %s\n' "$_id" "$region"; done
	return 0
}

# Images an import started: img-import names them in its log ("as image m-...") before a
# crash could have recorded them.
logged () {
	[ "$1" = image ] || return 0
	awk -F '\t' '$2 == "intent" && $3 == "image" { print $5, $6 }' "$ledger" | while read -r _r _d; do
		ledger_value _log "$(ledger_field "$_d" log)"
		if [ -z "$_log" ] || [ ! -f "$_log" ]; then continue; fi
		sed -n 's/^img-import: importing .* as image \(m-[A-Za-z0-9]*\) .*$/\1/p' "$_log" | while read -r _id; do printf '%s %s\n' "$_id" "$_r"; done
	done
}

# The detail of the last record of KIND and ID (escaped, as in the ledger).
detail_of () { ID=$2 awk -F '\t' -v kind="$1" '$3 == kind && $4 == ENVIRON["ID"] { d = $6 } END { print d }' "$ledger"; }

# Everything of KIND to release: ledger and tag, de-duplicated, kept products excluded.
targets () {
	{ live "$1"; tagged "$1"; logged "$1"; } | awk '!seen[$1]++' | while read -r _id _r; do
		kept "$_id" || printf '%s %s\n' "$_id" "$_r"
	done
}

label () {
	case $1 in
	eip) printf 'EIP' ;; instance) printf 'instance' ;; securitygroup) printf 'security group' ;;
	vswitch) printf 'vSwitch' ;; vpc) printf 'VPC' ;; keypair) printf 'temporary keypair' ;;
	image) printf 'image' ;; snapshot) printf 'snapshot' ;; copy) printf 'image copy' ;; upload) printf 'OSS upload' ;;
	esac
}

announce () {
	case $mode in
	success) case $1 in
		keypair) say "Deleting temporary keypair..." ;;
		# After a success the only image left to release is image_encrypted's unencrypted one.
		image) say "Deleting temporary image $2and related snapshots after finishing encryption..." ;;
		*) say "Cleaning up '$(label "$1")'" ;;
		esac ;;
	failure) case $1 in
		image) say "Deleting the image and related snapshots because of cancellation or error..." ;;
		snapshot) say "Deleting the snapshot because of cancellation or error..." ;;
		copy) say "Stopping copy image because cancellation or error..." ;;
		keypair) say "Deleting temporary keypair..." ;;
		*) say "Deleting $(label "$1") because of cancellation or error..." ;;
		esac ;;
	*) say "Releasing $(label "$1") $2" ;;
	esac
}

fail () {
	say "Error: could not release $(label "$1") $2: $(api_error)"
}

# Each release treats "already gone" as done and retries dependency and busy errors for a
# bounded time, so the order below converges even while the cloud catches up.
busy='DependencyViolation*,IncorrectInstanceStatus*,IncorrectStatus*,IncorrectVpcStatus,IncorrectVSwitchStatus,IncorrectEipStatus,TaskConflict,OperationConflict,LastTokenProcessing,SystemBusy,Forbbiden,IncorrectDiskStatus'
gone='*.NotFound,InvalidVpcId.NotFound,InvalidVSwitchId.NotFound,InvalidSecurityGroupId.NotFound,InvalidInstanceId.NotFound,InvalidAllocationId.NotFound,InvalidImageId.NotFound,InvalidSnapshotId.NotFound,InvalidKeyPairName.NotFound'
release_call () { api --accept "$gone" --retry-codes "$busy" --retries 60 --timeout "${RECLAIM_RETRY_FOR:-600}" "$@"; }
# unbind_eip REGION ALLOCATION INSTANCE — an EIP let go of its instance (before the EIP is
# released, or before an instance that still holds one is deleted).
unbind_eip () { release_call --product vpc UnassociateEipAddress RegionId="$1" AllocationId="$2" InstanceId="$3"; }

image_snapshots () {
	api_query 'Images.Image[*].DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' DescribeImages RegionId="$2" \
		ImageId="$1" ImageOwnerAlias=self Status=Creating,Waiting,Available,UnAvailable,CreateFailed 2>/dev/null || true
}

release () {
	_kind=$1 _id=$2 _r=$3
	case $_kind in
	copy)
		api --accept "$gone,IncorrectImageStatus*" CancelCopyImage RegionId="$_r" ImageId="$_id" || true
		_snaps=$(image_snapshots "$_id" "$_r")
		release_call DeleteImage RegionId="$_r" ImageId="$_id" Force=true || return 1
		for _s in $_snaps; do release_call DeleteSnapshot RegionId="$_r" SnapshotId="$_s" Force=true || return 1; done ;;
	image)
		_snaps=$(image_snapshots "$_id" "$_r")
		release_call DeleteImage RegionId="$_r" ImageId="$_id" Force=true || return 1
		for _s in $_snaps; do release_call DeleteSnapshot RegionId="$_r" SnapshotId="$_s" Force=true || return 1; done ;;
	eip)
		_st=$(api_query 'EipAddresses.EipAddress[0].Status' --product vpc DescribeEipAddresses RegionId="$_r" AllocationId="$_id" 2>/dev/null) || _st=
		if [ "$_st" = InUse ] || [ "$_st" = Associating ]; then
			_inst=$(api_query 'EipAddresses.EipAddress[0].InstanceId' --product vpc DescribeEipAddresses RegionId="$_r" AllocationId="$_id") || _inst=
			unbind_eip "$_r" "$_id" "$_inst" || return 1
		fi
		# Released as soon as it is unassociated: IncorrectEipStatus is retried as busy.
		release_call --product vpc ReleaseEipAddress RegionId="$_r" AllocationId="$_id" || return 1 ;;
	instance)
		# An EIP still bound (the template's eip_id, kept by the user, so in no ledger) is
		# unbound first: it outlives the instance, bound to nothing.
		_eip=$(api_query 'Instances.Instance[0].EipAddress.AllocationId' DescribeInstances RegionId="$_r" InstanceIds="[\"$_id\"]" 2>/dev/null) || _eip=
		if [ -n "$_eip" ]; then
			unbind_eip "$_r" "$_eip" "$_id" || return 1
		fi
		release_call DeleteInstance RegionId="$_r" InstanceId="$_id" Force=true || return 1
		run snap-wait --region "$_r" --delay 0.5 --instance "$_id" --status Deleted --timeout 600 >/dev/null 2>"$work/err" || return 1 ;;
	snapshot) release_call DeleteSnapshot RegionId="$_r" SnapshotId="$_id" Force=true || return 1 ;;
	securitygroup) release_call DeleteSecurityGroup RegionId="$_r" SecurityGroupId="$_id" || return 1 ;;
	vswitch) release_call --product vpc DeleteVSwitch RegionId="$_r" VSwitchId="$_id" || return 1 ;;
	vpc) release_call --product vpc DeleteVpc RegionId="$_r" VpcId="$_id" || return 1 ;;
	keypair) release_call DeleteKeyPairs RegionId="$_r" KeyPairNames="[\"$_id\"]" || return 1 ;;
	upload)
		# An import's upload: abort the multipart upload and delete the object (img-import --abort).
		_d=$(detail_of upload "$(ledger_escape "$_id")")
		_b=${_id#oss://}
		_key=${_b#*/}
		_b=${_b%%/*}
		ledger_value _img "$(ledger_field "$_d" image)"
		ledger_value _st "$(ledger_field "$_d" state)"
		ledger_value _disk "$(ledger_field "$_d" disk)"
		run img-import --abort --region "$_r" --bucket "$_b" --object "$_key" --image-name "$_img" --state-dir "$_st" -- "$_disk" \
			>/dev/null 2>"$work/err" || return 1 ;;
	esac
	return 0
}

# blocked KIND: a resource KIND depends on could not be released, so releasing KIND can only
# meet DependencyViolation until the retries run out (10 minutes per resource): skip it.
blocked () {
	[ -s "$work/leftover" ] || return 1
	case $1 in
	securitygroup | vswitch) grep -q '^instance:' "$work/leftover" ;;
	vpc) grep -q '^\(instance\|securitygroup\|vswitch\):' "$work/leftover" ;;
	*) return 1 ;;
	esac
}

# Reverse dependency order: copies and images (failure only; the ledger marks delivered
# ones kept), the EIP before its instance, the instance before its network and key.
for kind in copy image upload eip instance snapshot securitygroup vswitch vpc keypair; do
	case ,${only:-$kind}, in *,"$kind",*) ;; *) continue ;; esac
	list=$(targets "$kind")
	[ -n "$list" ] || continue
	announce "$kind" "$(printf '%s\n' "$list" | while read -r eid _; do ledger_value id "$eid"; printf '%s ' "$id"; done)"
	printf '%s\n' "$list" | {
		while read -r eid er; do
			[ -n "$eid" ] || continue
			ledger_value id "$eid"
			ledger_value r "$er"
			if blocked "$kind"; then
				say "Not releasing $(label "$kind") $id: what it depends on is still there"
				printf '%s:%s\n' "$kind" "$id" >>"$work/leftover"
			elif release "$kind" "$id" "$r"; then
				ledger_add released "$kind" "$id" "$r"
			else
				fail "$kind" "$id"
				printf '%s:%s\n' "$kind" "$id" >>"$work/leftover"
			fi
		done
	}
done

# After a crash, the build's work directories are left with the rendered plan (credentials,
# passwords) and the temporary key: remove them once their build is gone for sure.
if [ "$mode" = reclaim ]; then
	field _pid pid
	if [ -z "$_pid" ] || ! kill -0 "$_pid" 2>/dev/null || ! grep -q ecs-build "/proc/$_pid/cmdline" 2>/dev/null; then
		# An ssh connection master (ControlPersist) outlives a SIGKILL of its build: end it.
		awk -F '\t' '$2 == "created" && $3 == "control" { print $4 }' "$ledger" | while read -r _d; do
			ledger_value _d "$_d"
			for _s in "$_d"/*; do
				if [ -S "$_s" ]; then ssh -S "$_s" -O exit reclaim >/dev/null 2>&1 || :; fi
			done
			case $_d in /*/tmp.*) if [ -d "$_d" ] && [ -O "$_d" ]; then rm -rf -- "$_d"; fi ;; esac
		done
		# The run's own directory (per-build results; no secrets) goes too.
		field _d run
		case $_d in /*/tmp.*) if [ -d "$_d" ] && [ -O "$_d" ]; then rm -rf -- "$_d"; fi ;; esac
	fi
fi

if [ -s "$work/leftover" ]; then
	say "Some resources could not be released; run 'make clean' (or '$prog reclaim $ledger') to try again:"
	while read -r l; do msg "$l"; done <"$work/leftover"
	exit 1
fi
[ -z "$only" ] || exit 0
ledger_add closed build "$build_id" "$region"
# Delivered images keep only the template's tags, as Packer's: the build-id tag served to
# find what a crashed build made, and with the ledger closed nothing will look for it.
untag () {
	api UntagResources RegionId="$1" ResourceType="$2" ResourceId.1="$3" TagKey.1="$tag_key" --accept "$gone" ||
		say "Could not remove the tag $tag_key from $2 $3: $(api_error)"
}
if [ "$mode" = success ] && [ -n "$tag_key" ]; then
	awk -F '\t' '$2 == "kept" && ($3 == "image" || $3 == "copy") { print $4, $5 }' "$ledger" | while read -r _id _r; do
		ledger_value _id "$_id"
		ledger_value _r "$_r"
		untag "$_r" image "$_id"
		for _s in $(image_snapshots "$_id" "$_r"); do untag "$_r" snapshot "$_s"; done
	done
fi
# The build's private work files (its temporary SSH key) go with it.
state=$(CDPATH='' cd -- "$(dirname -- "$ledger")/.." && pwd)
rm -rf "${state:?}/work/$build_id"
exit 0
