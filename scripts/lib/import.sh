#!/bin/sh
# import.sh [-template T [-var k=v]... [-var-file f]... [-only NAME]] [-bucket B] [-object KEY]
#           [-image-name N] [-region R] [-format F] [-keep-object] [-force] [-on-error=cleanup|abort]
#           DISKFILE
# The alicloud-import post-processor for a local disk file (alicloud-build import, make import):
# the settings come from the template's alicloud-import post-processor when -template is
# given (options override them), else from the options. Runs img-import with Packer's
# log lines, records the OSS object and the image in a ledger, and on an error or
# INT/TERM gives the upload up and deletes the unfinished image (-on-error=abort keeps
# the parts to resume by running the same command again; make clean releases them).
set -u
umask 077
prog=alicloud-build
export prog
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/common.sh"

usage () {
	printf 'usage: %s import [-template T [-var k=v]... [-var-file f]... [-only NAME]] [-bucket B] [-object KEY] [-image-name N] [-region R] [-format F] [-keep-object] [-force] [-on-error=cleanup|abort] DISKFILE\n' "$prog" >&2
	exit 64
}

template='' render='' o_bucket='' o_object='' o_name='' o_region='' o_format='' o_keep='' o_force='' on_error=cleanup disk=''
while [ $# -gt 0 ]; do
	case $1 in
	-template|-bucket|-object|-image-name|-region|-format|-var|-var-file|-only|-on-error)
		[ $# -ge 2 ] || usage
		case $1 in
		-template) template=$2 ;; -bucket) o_bucket=$2 ;; -object) o_object=$2 ;; -image-name) o_name=$2 ;;
		-region) o_region=$2 ;; -format) o_format=$2 ;; -on-error) on_error=$2 ;;
		*) render="$render $1 $(shell_quote "$2")" ;;
		esac
		shift 2 ;;
	-on-error=*) on_error=${1#-on-error=}; shift ;;
	-keep-object) o_keep=1; shift ;;
	-force) o_force=1; shift ;;
	--) shift; disk=${1:-}; [ $# -le 1 ] || usage; break ;;
	-*) printf '%s: import: unknown option %s\n' "$prog" "$1" >&2; usage ;;
	*) [ -z "$disk" ] || usage; disk=$1; shift ;;
	esac
done
[ -n "$disk" ] || usage
case $on_error in cleanup|abort) ;; *) die "-on-error: expected cleanup or abort, got \"$on_error\"" 64 ;; esac

state=${ALICLOUD_BUILD_STATE:-${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/alicloud-image-tools}
mkdir -p "$state/ledgers" "$state/imports" || die "$state: cannot create the state directory" 73
work=$(mktemp -d) || die "cannot create a work directory" 73

# --- the settings: the template's alicloud-import post-processor, then the options -----
name=import
p_region='' p_oss_bucket_name='' p_oss_key_name='' p_image_name='' p_format='' p_image_os_type='' p_image_platform=''
p_image_architecture='' p_image_system_size='' p_image_description='' p_resource_group_id='' p_skip_clean='' p_image_force_delete=''
if [ -n "$template" ]; then
	eval "set -- $render"
	tmpl-render "$@" "$template" >"$work/plan.json" || { _rc=$?; rm -rf "$work"; exit "$_rc"; }
	_nb=$(tmpl-render --plan "$work/plan.json" --query builds --format count) || exit 65
	_found=
	_i=0
	while [ "$_i" -lt "$_nb" ]; do
		_nc=$(tmpl-render --plan "$work/plan.json" --query "builds[$_i].post_processors" --format count)
		_c=0
		while [ "$_c" -lt "$_nc" ]; do
			_ne=$(tmpl-render --plan "$work/plan.json" --query "builds[$_i].post_processors[$_c]" --format count)
			_e=0
			while [ "$_e" -lt "$_ne" ]; do
				_t=$(tmpl-render --plan "$work/plan.json" --query "builds[$_i].post_processors[$_c][$_e].type")
				[ "$_t" != alicloud-import ] || _found="$_found builds[$_i].post_processors[$_c][$_e]"
				_e=$((_e + 1))
			done
			_c=$((_c + 1))
		done
		_i=$((_i + 1))
	done
	# The paths hold [0]: no globbing while they are split (a file named "b" must not match them).
	set -f
	# shellcheck disable=SC2086
	set -- $_found
	set +f
	[ $# -gt 0 ] || die "$template: no alicloud-import post-processor" 65
	[ $# -eq 1 ] || die "$template: $# alicloud-import post-processors; choose one build with -only NAME" 64
	_pp=$1
	name=$(tmpl-render --plan "$work/plan.json" --query "${_pp%%.post_processors*}.name")
	_cfg=$(tmpl-render --plan "$work/plan.json" --query "$_pp.config" --format sh --sh-prefix p_) || exit 65
	eval "$_cfg"
	unset _cfg
	# The tags as JSON (img-import --tags-from): a value with a newline stays whole.
	tmpl-render --plan "$work/plan.json" --query "$_pp.config.tags" --format json >"$work/tags.json" || exit 65
	# Credentials travel in the environment only (never argv).
	[ -z "${p_access_key-}" ] || export ALICLOUD_ACCESS_KEY="$p_access_key"
	[ -z "${p_secret_key-}" ] || export ALICLOUD_SECRET_KEY="$p_secret_key"
	[ -z "${p_security_token-}" ] || export ALICLOUD_SECURITY_TOKEN="$p_security_token"
	[ -z "${p_profile-}" ] || export ALICLOUD_PROFILE="$p_profile"
	[ -z "${p_shared_credentials_file-}" ] || export ALICLOUD_SHARED_CREDENTIALS_FILE="$p_shared_credentials_file"
	unset p_access_key p_secret_key p_security_token
	rm -f "$work/plan.json"
fi
region=${o_region:-${p_region:-${ALICLOUD_REGION:-}}}
bucket=${o_bucket:-$p_oss_bucket_name}
image_name=${o_name:-$p_image_name}
[ -n "$region" ] || die "import: no region: give REGION= (or -region), ALICLOUD_REGION or the template's region" 64
[ -n "$bucket" ] || die "import: no bucket: give BUCKET= (or -bucket) or the template's oss_bucket_name" 64
[ -n "$image_name" ] || die "import: no image name: give IMAGE_NAME= (or -image-name) or the template's image_name" 64
# oss_key_name may use {{.BuildName}}; empty, img-import's stable key lets a rerun resume.
object=${o_object:-$(printf '%s' "$p_oss_key_name" | sed "s/{{ *\.BuildName *}}/$(printf '%s' "$name" | sed 's/[&/\]/\\&/g')/g; s/{{ *\.BuilderType *}}/alicloud-ecs/g")}
[ -n "$object" ] || object="img-import/$image_name/$(basename -- "$disk")"
format=${o_format:-$p_format}

set -- --region "$region" --bucket "$bucket" --object "$object" --image-name "$image_name" --create-bucket --create-role \
	--state-dir "$state/imports/upload"
[ -z "$format" ] || set -- "$@" --format "$(printf '%s' "$format" | tr '[:upper:]' '[:lower:]')"
[ -z "$p_image_os_type" ] || set -- "$@" --os-type "$p_image_os_type"
[ -z "$p_image_platform" ] || set -- "$@" --platform "$p_image_platform"
[ -z "$p_image_architecture" ] || set -- "$@" --architecture "$p_image_architecture"
[ -z "$p_image_system_size" ] || set -- "$@" --system-size "$p_image_system_size"
[ -z "$p_image_description" ] || set -- "$@" --description "$p_image_description"
[ -z "$p_resource_group_id" ] || set -- "$@" --resource-group-id "$p_resource_group_id"
{ [ -z "$o_keep" ] && [ "$p_skip_clean" != true ]; } || set -- "$@" --keep-object
{ [ -z "$o_force" ] && [ "$p_image_force_delete" != true ]; } || set -- "$@" --force-delete-existing
[ ! -s "$work/tags.json" ] || set -- "$@" --tags-from "$work/tags.json"

# Packer's prefix for a post-processor's lines: "==> <build> (alicloud-import): ...".
build_name=$name
name="$build_name (alicloud-import)"

# --- the ledger and the run ---------------------------------------------------------------
import_id="ait-import-$(date -u +%Y%m%dT%H%M%S)-$(random_hex 4)"
ledger="$state/ledgers/$import_id.ledger"
log="$state/imports/$import_id.log"
ledger_add start import "$import_id" "$region" name="$build_name" endpoint="${ALICLOUD_ENDPOINT:-}" \
	oss="${ALICLOUD_OSS_ENDPOINT:-}" pid=$$
# What reclaim needs to give the upload up and find the image, even after a SIGKILL: the
# upload counts as created from the start (giving up one that never began is harmless).
ledger_add created upload "oss://$bucket/$object" "$region" image="$image_name" state="$state/imports/upload" disk="$disk"
ledger_add intent image - "$region" log="$log"

status=1
finished=0
imported=
finish () {
	[ "$finished" = 0 ] || return 0
	finished=1
	trap '' INT TERM HUP
	if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; child=; fi
	imported=$(sed -n 's/^img-import: importing .* as image \(m-[A-Za-z0-9]*\) .*$/\1/p' "$log" 2>/dev/null | tail -n 1)
	if [ "$status" -eq 0 ]; then
		ledger_add kept image "$imported"
		if [ -n "$o_keep" ] || [ "$p_skip_clean" = true ]; then
			ledger_add kept upload "oss://$bucket/$object"
		else
			ledger_add released upload "oss://$bucket/$object"
		fi
		ledger_add closed import "$import_id" "$region"
		rm -f "$log"
	else
		[ -z "$imported" ] || ledger_add created image "$imported"
		if [ "$on_error" = abort ]; then
			say "Import failed, aborting: the uploaded parts are kept; run the same command again to resume, or release them with: make clean"
			msg "ledger: $ledger"
		else
			sh "$here/reclaim.sh" "$ledger" failure || status=1
		fi
	fi
	rm -rf "$work"
}
trap 'finish' EXIT
trap 'status=130; printf "%s\n" "Cancelling import after receiving interrupt" >&2; finish; exit 130' INT
trap 'status=143; finish; exit 143' TERM
trap 'status=129; finish; exit 129' HUP

say "Rendered oss_key_name as $object"
say "Looking for RAW or VHD in artifact"
msg "artifact file: $disk"
say "Waiting for uploading file $disk to oss://$bucket/$object..."
# img-import's lines go to stderr as they come and to the log reclaim reads. The log exists
# before either process starts: tail -f on a file not yet made gives up at once.
: >>"$log" || die "$log: cannot create the import log" 73
img-import "$@" "$disk" >"$work/result" 2>>"$log" &
child=$!
tail -n +1 -s 0.1 --pid="$child" -f "$log" >&2 &
_tail=$!
_rc=0
wait "$child" || _rc=$?
child=
wait "$_tail" 2>/dev/null
if [ "$_rc" -ne 0 ]; then
	say "Error: $(sed -n 's/^img-import: //p' "$log" | tail -n 1)"
	exit "$_rc"
fi
_id=$(ecs-call --from-response "$work/result" --query ImageId 2>/dev/null) || _id=
_deleted=$(ecs-call --from-response "$work/result" --query ObjectDeleted 2>/dev/null) || _deleted=
say "Image file $disk has been uploaded to OSS"
say "Importing created alicloud image ID $_id in region $region Finished."
[ "$_deleted" != true ] || say "Deleting import source oss://$bucket/$object"
status=0
printf -- '--> %s: Alicloud images were created:\n\n%s: %s\n' "$name" "$region" "$_id"
