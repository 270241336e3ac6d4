#!/bin/sh
# Templates shaped like the ones people publish build unchanged on ecs-sim.
#
# 1. The project's own field templates (Tests/templates/field/, see its README): written
#    here, after the facts of published alicloud templates (the keys and value shapes they
#    use, images retired long ago, n1 instance types, password login, no VPC settings, two
#    data disks, Windows over WinRM turned on by user data, file + shell provisioners).
#    Each group (current/, retired/) builds at once on a fresh emulator, from a copy of the
#    folder: the templates name their files relative to it, as Packer resolves them.
#    What their provisioners leave is read back from each image's disk.
# 2. Verbatim templates written by others, which cannot be kept in this repository: when
#    REAL_TEMPLATES_DIR is a directory (by default shared/templates/real next to the
#    worktrees, if it exists), every template (*.json with "builders") in it builds too,
#    each top-level folder of it on a fresh emulator (releases reuse image names). Scripts
#    in them that download software from the internet (chef.sh, jenkins.sh) are replaced
#    by the stubs below in the copy; the templates themselves are never edited.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
# shellcheck disable=SC2034 # read by build (lib/build.sh)
BUILD_TIMEOUT=${BUILD_TIMEOUT:-240}
ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
field=$here/../templates/field
# The third-party templates: REAL_TEMPLATES_DIR when set (empty: none; a missing directory
# is an error), else shared/templates/real when it exists.
real=${REAL_TEMPLATES_DIR-$(cd "$here/../../.." && pwd)/shared/templates/real}
real_why="$real absent"
[ -n "$real" ] || real_why="REAL_TEMPLATES_DIR is empty"
if [ -n "${REAL_TEMPLATES_DIR:-}" ]; then
	[ -d "$real" ] || fail "REAL_TEMPLATES_DIR=$real: not a directory"
elif [ -n "$real" ] && [ ! -d "$real" ]; then
	real=
fi
[ -z "$real" ] || real=$(cd "$real" && pwd)

yum_has () { [ -f "$1/var/lib/yum/installed/$2" ] || [ -f "$1/var/lib/yum/installed/$2.x86_64" ]; }
dpkg_has () { grep -qx "Package: $2" "$1/var/lib/dpkg/status" 2>/dev/null; }
# image_of NAME — the image ID build NAME delivered (its artifact line), or nothing.
image_of () { sed -n 's/^[a-z0-9-]*: \(m-[a-z0-9]*\)$/\1/p' "$work/$1.out" | head -n 1; }

# check NAME KIND RELEASE — what a field template's provisioners left on its image;
# RELEASE is the Ubuntu release its group's Ubuntu images name.
check () {
	[ "$(rc_of "$1")" = 0 ] || { show "$1"; fail "$1: exit $(rc_of "$1")"; }
	_disk=$(image_disk "$1")
	case $2 in
	redis | docs) yum_has "$_disk" redis || fail "$1: redis is not on the image" ;;
	public-ip) yum_has "$_disk" nginx || fail "$1: nginx is not on the image" ;;
	datadisk)
		yum_has "$_disk" redis || fail "$1: redis is not on the image"
		_n=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId="$ALICLOUD_REGION" ImageId="$(image_of "$1")" \
			--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping' --format count)
		[ "$_n" = 3 ] || fail "$1: the image maps $_n disks, not the system disk and two data disks" ;;
	windows)
		grep -q '    alicloud-ecs: .*Windows' "$work/$1.err" || { show "$1"; fail "$1: no directory listing of C:\\"; }
		grep -q 'provisioned over WinRM' "$_disk/ProgramData/field/provisioned.txt" 2>/dev/null ||
			fail "$1: C:\\ProgramData\\field\\provisioned.txt is not on the image" ;;
	file-shell | classic)
		[ -f "$_disk/root/field-provisioned" ] || fail "$1: install-packages.sh left no /root/field-provisioned"
		_rel=$(sed -n 's/^release=//p' "$_disk/root/field-provisioned")
		[ "$_rel" = "ubuntu $3" ] || fail "$1: provisioned on $_rel, not on the ubuntu $3 its image names"
		for _p in $(sed -n 's/^packages=//p' "$_disk/root/field-provisioned"); do
			dpkg_has "$_disk" "$_p" || fail "$1: $_p is not on the image"
		done
		if [ "$2" = classic ]; then
			grep -q 'Packer uses the classic network here' "$work/$1.err" || fail "$1: no classic-network warning"
		else
			! grep -q 'classic network' "$work/$1.err" || fail "$1: a classic-network warning despite its user data"
		fi ;;
	*) fail "check: unknown kind $2" ;;
	esac
}

total=0
for group in "current 18.04: redis=current/centos-redis.json datadisk=current/centos-data-disks.json windows=current/windows-winrm.json file-shell=current/ubuntu-file-shell.json classic=current/ubuntu-classic.json docs=current/docs-style.json public-ip=current/plugin-public-ip.json" \
	"retired 14.04: redis=retired/centos-redis.json datadisk=retired/centos-data-disks.json windows=retired/windows-winrm.json file-shell=retired/ubuntu-file-shell.json classic=retired/ubuntu-classic.json docs=retired/docs-style.json"; do
	head=${group%%:*}
	name=${head% *}
	ubuntu=${head#* }
	with_sim ""
	rm -rf "$work/field"
	cp -R "$field" "$work/field"
	pids=
	for entry in ${group#*:}; do
		(cd "$work/field" && build "$name-${entry%%=*}" "${entry#*=}" </dev/null) &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for entry in ${group#*:}; do
		check "$name-${entry%%=*}" "${entry%%=*}" "$ubuntu"
		total=$((total + 1))
	done
	assert_no_leak "field/$name"
	assert_no_secret
done
printf 'build-real-templates: %s field templates built unchanged\n' "$total"

# stub_scripts DIR — in a copy of third-party templates, stubs for the scripts that
# download software (they would fail without the internet, or install it for real).
stub_scripts () {
	find "$1" -type f -name chef.sh | while IFS= read -r _s; do
		# Installs Chef Server from its vendor: the stub leaves a chef-server-ctl that logs
		# its arguments (a template runs it next) and records that it ran.
		cat >"$_s" <<'STUB'
#!/bin/sh
# stub for a chef.sh that downloads Chef Server (Tests/e2e/build-real-templates.sh)
printf '#!/bin/sh\necho "chef-server-ctl $*" >> /var/log/chef-server-ctl.log\n' > /usr/bin/chef-server-ctl
chmod 755 /usr/bin/chef-server-ctl
echo "chef.sh stub ran" > /root/chef-stub
STUB
	done
	find "$1" -type f -name jenkins.sh | while IFS= read -r _s; do
		# Downloads Tomcat and Jenkins: the stub installs a JDK with the image's package
		# manager instead and records that it ran.
		cat >"$_s" <<'STUB'
#!/bin/sh
# stub for a jenkins.sh that downloads Tomcat and Jenkins (Tests/e2e/build-real-templates.sh)
apt-get update -y && apt-get install -y openjdk-8-jdk && echo "jenkins.sh stub ran" > /root/jenkins-stub
STUB
	done
}

# run_dir TREE TEMPLATE — the directory to build TEMPLATE (a path in TREE) from: templates
# name their files relative to where Packer runs, so the first of its folder and the
# folders above it (up to TREE) where the template validates; TREE when none does.
run_dir () {
	_d=$(dirname "$1/$2")
	while :; do
		_rel=${1}/${2}
		_rel=${_rel#"$_d"/}
		if (cd "$_d" && tmpl-render --validate "$_rel" >/dev/null 2>&1); then
			printf '%s\n' "$_d"
			return 0
		fi
		[ "$_d" != "$1" ] || break
		_d=$(dirname "$_d")
	done
	printf '%s\n' "$1"
}

if [ -z "$real" ]; then
	printf 'build-real-templates: no third-party templates (%s): only the field templates were built\n' "$real_why"
	exit 0
fi
others=0
# Each top-level folder is one group (one emulator); templates directly in $real are one more.
for tree in "$real" "$real"/*/; do
	tree=${tree%/}
	[ -d "$tree" ] || continue
	if [ "$tree" = "$real" ]; then depth=-maxdepth\ 1; label=top; else depth=; label=${tree##*/}; fi
	# shellcheck disable=SC2086 # $depth is empty or two words
	find "$tree" $depth -type f -name '*.json' | LC_ALL=C sort >"$work/list"
	: >"$work/templates"
	while IFS= read -r t; do
		! grep -q '"builders"' "$t" || printf '%s\n' "${t#"$tree"/}" >>"$work/templates"
	done <"$work/list"
	[ -s "$work/templates" ] || continue
	copy=$work/real/$label
	rm -rf "$copy"
	mkdir -p "$work/real"
	cp -R "$tree" "$copy"
	stub_scripts "$copy"
	with_sim ""
	pids=
	: >"$work/names"
	while IFS= read -r t; do
		n=real-$label-$(printf '%s' "${t%.json}" | tr -c 'A-Za-z0-9-' '_')
		printf '%s %s\n' "$n" "$t" >>"$work/names"
		d=$(run_dir "$copy" "$t")
		full=$copy/$t
		(cd "$d" && build "$n" "${full#"$d"/}" </dev/null) &
		pids="$pids $!"
	done <"$work/templates"
	for p in $pids; do wait "$p"; done
	while read -r n t; do
		[ "$(rc_of "$n")" = 0 ] || { show "$n"; fail "$label/$t: exit $(rc_of "$n")"; }
		[ -n "$(image_of "$n")" ] || { show "$n"; fail "$label/$t: no image"; }
		others=$((others + 1))
	done <"$work/names"
	assert_no_leak "$label"
	assert_no_secret
done
printf 'build-real-templates: %s third-party templates from %s built unchanged\n' "$others" "$real"
