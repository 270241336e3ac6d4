# Up-to-date images (alicloud-build -skip-unchanged; sourced by ecs-build.sh; POSIX sh).
# An image is up to date when an Available image of the account in the build's region
# carries both tags this file writes: image-tools-input-digest=<the plan's input_digest>
# and image-tools-source-image=<the image the source resolves to now>. Callers set: name,
# region, work, out, the c_* settings, the plan function and the api helpers (common.sh).
# IMAGE_TOOLS_SKIP_UNCHANGED: check (skip an up-to-date build), dry-run (answer only) or
# tag (-force: build, then tag).
digest_key=image-tools-input-digest
source_key=image-tools-source-image

# uptodate_fail TEXT — the check could not be made: ends the build with ecs-call's status
# (69 unreachable, 75 throttled, 77/78 credentials) or 1. Nothing was created.
uptodate_fail () {
	_urc=$?
	[ "$_urc" -ge 64 ] || _urc=1
	say "$1"
	printf '%s\n' "$1" >"$out/error"
	rm -rf "$work"
	exit "$_urc"
}

# uptodate_source — the ID of the image the template's source resolves to now: the newest
# Available image of image_family, or source_image when it exists (Packer's lookup: the
# account's and public images, then the marketplace). Empty when there is none.
uptodate_source () {
	if has image_family; then
		api_query 'Image.ImageId' DescribeImageFromFamily RegionId="$region" ImageFamily="$c_image_family" || return
		return 0
	fi
	_show=
	on skip_image_validation && _show=ShowExpired=true
	# shellcheck disable=SC2086
	_s=$(api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" ImageId="$c_source_image" $_show) || return
	[ -n "$_s" ] || _s=$(api_query 'Images.Image[*].ImageId' DescribeImages RegionId="$region" ImageId="$c_source_image" ImageOwnerAlias=marketplace) || return
	printf '%s\n' "$_s" | head -n 1
}

# uptodate_find REGION — "ID<TAB>CreationTime" of the newest Available image of the account
# in REGION tagged with this build's digest and source; nothing when there is none.
uptodate_find () {
	api DescribeImages RegionId="$1" ImageOwnerAlias=self Status=Available PageSize=100 \
		Tag.1.Key="$digest_key" Tag.1.Value="$input_digest" Tag.2.Key="$source_key" Tag.2.Value="$source_now" || return
	ecs-call --from-response "$work/out" --query 'Images.Image[*].ImageId' >"$work/ids" &&
		ecs-call --from-response "$work/out" --query 'Images.Image[*].CreationTime' >"$work/times" || return
	paste "$work/ids" "$work/times" | sort -t "$(printf '\t')" -k 2,2 | awk -F '\t' 'NF == 2 && $1 != "" { last = $0 } END { if (last != "") print last }'
}

# uptodate_skip — runs before anything is created. Up to date: Packer's artifact (the image
# and its copies that exist) in $out/artifact, the log line, exit 0. Otherwise returns to
# build (exit 3 in a dry run); source_now is then the source to tag the new image with.
uptodate_skip () {
	input_digest=$(plan input_digest) && [ -n "$input_digest" ] || uptodate_fail "the plan has no input_digest for this build"
	source_now=$(uptodate_source) || uptodate_fail "Error resolving the source image: $(api_error)"
	[ "${IMAGE_TOOLS_SKIP_UNCHANGED:-}" != tag ] || return 0
	if [ -z "$source_now" ]; then
		_why="the source image ${c_source_image:-of family $(cfg image_family)} is not found"
	else
		_found=$(uptodate_find "$region") || uptodate_fail "Error looking for an up-to-date image: $(api_error)"
		if [ -n "$_found" ]; then
			_img=$(printf '%s\n' "$_found" | cut -f 1)
			printf '%s: %s\n' "$region" "$_img" >"$work/artifact"
			for _r in $(cfg image_copy_regions); do
				_c=$(uptodate_find "$_r") || uptodate_fail "Error looking for an up-to-date image copy in $_r: $(api_error)"
				[ -z "$_c" ] || printf '%s: %s\n' "$_r" "$(printf '%s\n' "$_c" | cut -f 1)" >>"$work/artifact"
			done
			say "Image is up to date: $_img (inputs unchanged since $(printf '%s\n' "$_found" | cut -f 2))"
			sort "$work/artifact" >"$out/artifact"
			rm -rf "$work"
			exit 0
		fi
		_why="no Available image in $region is tagged $digest_key=$input_digest with source $source_now"
	fi
	if [ "${IMAGE_TOOLS_SKIP_UNCHANGED:-}" = dry-run ]; then
		say "Would build: $_why"
		rm -rf "$work"
		exit 3
	fi
	say "Inputs changed or no image made from them: building ($_why)"
}

# uptodate_tag REGION IMAGE — the digest and source tags on an image and its snapshots.
uptodate_tag () {
	[ -n "${input_digest:-}" ] || return 0
	_snaps=$(api_query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' DescribeImages RegionId="$1" \
		ImageId="$2" ImageOwnerAlias=self Status=Waiting,Creating,Available) || return
	msg "Tagging image $2 and its snapshots: $digest_key=$input_digest $source_key=$source_now"
	# shellcheck disable=SC2086 # snapshot ids
	set -- "$1" "$2" $_snaps
	_r=$1
	shift
	api TagResources RegionId="$_r" ResourceType=image ResourceId.1="$1" \
		Tag.1.Key="$digest_key" Tag.1.Value="$input_digest" Tag.2.Key="$source_key" Tag.2.Value="$source_now" || return
	shift
	[ $# -gt 0 ] || return 0
	# shellcheck disable=SC2046 # one ResourceId.N=ID per line
	set -- RegionId="$_r" ResourceType=snapshot Tag.1.Key="$digest_key" Tag.1.Value="$input_digest" \
		Tag.2.Key="$source_key" Tag.2.Value="$source_now" $(_k=0; for _s in "$@"; do _k=$((_k + 1)); printf 'ResourceId.%s=%s\n' "$_k" "$_s"; done)
	api TagResources "$@"
}
