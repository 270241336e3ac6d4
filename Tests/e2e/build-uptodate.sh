#!/bin/sh
# alicloud-build -skip-unchanged on ecs-sim: the seed template built twice makes one image
# (the second run only asks: no create call, by ecs-sim's request counts, the same image,
# exit 0); -dry-run answers; one byte of a provisioner script, a variable or the source
# image builds anew, per build of a two-build template; {{timestamp}} in image_name is
# still up to date; image copies are part of the answer; image_force_delete keeps an
# up-to-date image.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

export ALICLOUD_REGION=cn-beijing
with_sim ''

# The calls made since the last mark that are not Describe* (a create, tag, modify...).
mark () { dump >/dev/null && q requests --format pairs >"$work/mark"; }
changes () {
	dump >/dev/null && q requests --format pairs >"$work/now"
	awk -F '\t' 'NR == FNR { before[$1] = $2; next } $1 !~ /^Describe/ && $2 != before[$1] { printf "%s:%d ", $1, $2 - before[$1] }' "$work/mark" "$work/now"
}
image_of () { sed -n "s/^$2: \\(m-[a-z0-9]*\\)\$/\\1/p" "$work/$1.out"; }
ms () { _t=$(date +%s%3N); case $_t in *N) _t=$(($(date +%s) * 1000)) ;; esac; printf '%s\n' "$_t"; }
tag_of () {
	ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId="$1" ImageId="$2" ImageOwnerAlias=self \
		--query 'Images.Image[0].Tags.Tag' --format json | tr -d ' \n' | grep -o "\"TagKey\":\"$3\",\"TagValue\":\"[^\"]*\"" | sed 's/.*"TagValue":"//; s/"$//'
}

# --- the seed template, twice ---------------------------------------------------------
seed=$here/../../examples/alicloud.json
build seed1 -skip-unchanged "$seed"
[ "$(rc_of seed1)" = 0 ] || { show seed1; fail "the first build exited $(rc_of seed1)"; }
image=$(image_of seed1 cn-beijing)
[ -n "$image" ] || fail "no artifact from the first build"
digest=$(tmpl-render --query 'builds[0].input_digest' "$seed")
[ "$(tag_of cn-beijing "$image" image-tools-input-digest)" = "$digest" ] || fail "the image is not tagged with the digest $digest"
[ "$(tag_of cn-beijing "$image" image-tools-source-image)" = centos_7_03_64_20G_alibase_20170818.vhd ] || fail "the image is not tagged with its source"
snap=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$image" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
ecs-call --endpoint "$ECS_SIM_URL" DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$snap\"]" --query 'Snapshots.Snapshot[0].Tags.Tag[*].TagValue' |
	grep -qx "$digest" || fail "the image's snapshot $snap is not tagged with the digest"

mark
t0=$(ms)
build seed2 -skip-unchanged "$seed"
t1=$(ms)
[ "$(rc_of seed2)" = 0 ] || { show seed2; fail "the second build exited $(rc_of seed2)"; }
[ "$(image_of seed2 cn-beijing)" = "$image" ] || { cat "$work/seed2.out" >&2; fail "the second build did not print $image"; }
made=$(changes)
[ -z "$made" ] || fail "the up-to-date build called: $made"
grep -q "^==> alicloud-ecs: Image is up to date: $image (inputs unchanged since [0-9T:-]*Z)\$" "$work/seed2.err" || { show seed2; fail "no up-to-date line"; }
grep -qx -- '--> alicloud-ecs: Alicloud images were created:' "$work/seed2.out" || fail "no artifact block"
printf 'build-uptodate: second seed build: up to date in %s ms, no create call\n' "$((t1 - t0))"

# Without -skip-unchanged: Packer's behaviour (the image name is taken: the build fails
# before creating anything, as Packer's prevalidation does).
build seed3 "$seed"
[ "$(rc_of seed3)" != 0 ] && grep -q "Image Name: 'packer_basic' is used by an existing alicloud image" "$work/seed3.err" ||
	{ show seed3; fail "without -skip-unchanged the build did not behave as Packer's"; }

# -dry-run answers and creates nothing; -force would build.
mark
build dry1 -skip-unchanged -dry-run "$seed"
[ "$(rc_of dry1)" = 0 ] && [ "$(cat "$work/dry1.out")" = 'alicloud-ecs: up to date' ] || { show dry1; fail "dry run: not up to date"; }
build dry2 -skip-unchanged -dry-run -force "$seed"
[ "$(rc_of dry2)" = 1 ] && [ "$(cat "$work/dry2.out")" = 'alicloud-ecs: would build' ] || { show dry2; fail "dry run with -force"; }
build dry3 -dry-run "$seed"
[ "$(rc_of dry3)" = 64 ] || fail "-dry-run without -skip-unchanged exited $(rc_of dry3)"
[ -z "$(changes)" ] || fail "a dry run called: $(changes)"

# --- two builds, each its own digest ----------------------------------------------------
mkdir -p "$work/t"
printf '#!/bin/sh\necho configured > /etc/app.conf\n' >"$work/t/setup.sh"
cat >"$work/t/app.json" <<'EOF'
{
  "variables": {"src": "centos_7_03_64_20G_alibase_20170818.vhd", "pkg": "redis.x86_64"},
  "builders": [
    {"type": "alicloud-ecs", "name": "a", "region": "cn-beijing", "image_name": "app-a-{{timestamp}}",
     "image_description": "built {{isotime}}", "source_image": "{{user `src`}}", "ssh_username": "root",
     "instance_type": "ecs.t5-lc1m1.small", "internet_charge_type": "PayByTraffic", "io_optimized": "true",
     "image_copy_regions": ["cn-hangzhou"]},
    {"type": "alicloud-ecs", "name": "b", "region": "cn-beijing", "image_name": "app-b", "image_force_delete": true,
     "image_force_delete_snapshots": true, "source_image": "{{user `src`}}", "ssh_username": "root",
     "instance_type": "ecs.t5-lc1m1.small", "internet_charge_type": "PayByTraffic", "io_optimized": "true"}
  ],
  "provisioners": [
    {"type": "shell", "script": "setup.sh"},
    {"type": "shell", "only": ["b"], "inline": ["yum install {{user `pkg`}} -y"]}
  ]
}
EOF
cd "$work/t"
# app NAME [args] — builds the template with -skip-unchanged at a later instant each time.
now=1700000000
app () {
	_n=$1
	shift
	now=$((now + 100))
	TMPL_RENDER_NOW=$now
	export TMPL_RENDER_NOW
	build "$_n" -skip-unchanged "$@" app.json
	unset TMPL_RENDER_NOW
	[ "$(rc_of "$_n")" = 0 ] || { show "$_n"; fail "$_n exited $(rc_of "$_n")"; }
}
# fresh NAME BUILD OLD — BUILD of run NAME made a new image (not OLD); up NAME BUILD ID — it is ID, up to date.
fresh () {
	grep -q "^==> $2: Creating image" "$work/$1.err" || { show "$1"; fail "$1: build $2 did not build"; }
	[ -n "$(image_of "$1" cn-beijing | sed -n "$4p")" ] && [ "$(image_of "$1" cn-beijing | sed -n "$4p")" != "$3" ] || fail "$1: build $2 did not make a new image"
}
up () {
	grep -q "^==> $2: Image is up to date: $3 " "$work/$1.err" || { show "$1"; fail "$1: build $2 is not up to date ($3)"; }
	! grep -q "^==> $2: Creating" "$work/$1.err" || fail "$1: build $2 created something"
}

app app1
a1=$(image_of app1 cn-beijing | sed -n 1p) b1=$(image_of app1 cn-beijing | sed -n 2p)
c1=$(image_of app1 cn-hangzhou)
[ -n "$a1" ] && [ -n "$b1" ] && [ -n "$c1" ] || { cat "$work/app1.out" >&2; fail "app1: artifacts missing"; }
[ "$(tag_of cn-hangzhou "$c1" image-tools-input-digest)" = "$(tmpl-render --query 'builds[0].input_digest' app.json)" ] || fail "the copy is not tagged"

# Again, 100 s later: a's name and description differ ({{timestamp}}, {{isotime}}): up to date,
# with its copy; b (image_force_delete) is not deleted.
mark
app app2
up app2 a "$a1"
up app2 b "$b1"
[ "$(image_of app2 cn-hangzhou)" = "$c1" ] || { cat "$work/app2.out" >&2; fail "app2: the copy is not in the artifact"; }
[ -z "$(changes)" ] || fail "app2 called: $(changes)"
ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$b1" --query 'Images.Image[*].ImageId' | grep -qx "$b1" || fail "b's image was deleted"

# One byte of the provisioner script: both build anew (b replaces its image).
printf '#!/bin/sh\necho configureD > /etc/app.conf\n' >"$work/t/setup.sh"
build dry4 -skip-unchanged -dry-run app.json
[ "$(rc_of dry4)" = 1 ] && [ "$(cat "$work/dry4.out")" = "$(printf 'a: would build\nb: would build')" ] || { show dry4; cat "$work/dry4.out" >&2; fail "dry run after a script change"; }
app app3
fresh app3 a "$a1" 1
fresh app3 b "$b1" 2
a3=$(image_of app3 cn-beijing | sed -n 1p) b3=$(image_of app3 cn-beijing | sed -n 2p)

# A variable only b reads: a is up to date, b builds.
app app4 -var pkg=nginx.x86_64
up app4 a "$a3"
fresh app4 b "$b3" 2
b4=$(image_of app4 cn-beijing | sed -n 2p)

# The source image: both build anew.
app app5 -var pkg=nginx.x86_64 -var src=centos_7_9_x64_20G_alibase_20240628.vhd
fresh app5 a "$a3" 1
fresh app5 b "$b4" 2

assert_no_leak uptodate
assert_no_secret
printf 'build-uptodate: ok (seed %s up to date; script, variable and source changes built anew)\n' "$image"
