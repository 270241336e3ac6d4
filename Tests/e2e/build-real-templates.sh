#!/bin/sh
# Templates written by others (Tests/templates/real/, origins in its README) build unchanged
# on ecs-sim: Packer's alicloud examples (basic, Windows, data disks, chef, jenkins) and its
# docs' example as published in Packer 1.6.6, 1.4.0 and 1.1.0 and in the current alicloud
# plugin, with the images and instance types they name (some retired long ago). The templates of one Packer release build at
# once on one emulator; releases reuse image names, so each gets a fresh emulator. Scripts
# that would install real software from the internet are replaced by the stubs below, in a
# copy of the tree (the templates are never edited): chef/chef.sh and jenkins/jenkins.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
# shellcheck disable=SC2034 # read by build (lib/build.sh)
BUILD_TIMEOUT=${BUILD_TIMEOUT:-240}
ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION

# stub_scripts DIR — the stubs, in place of the scripts that download software.
stub_scripts () {
	if [ -d "$1/examples/alicloud/chef" ]; then
		# chef.sh downloads and installs Chef Server: the stub leaves a chef-server-ctl that
		# the template's next inline step runs, and records that it ran.
		cat >"$1/examples/alicloud/chef/chef.sh" <<'STUB'
#!/bin/sh
# stub of Packer's examples/alicloud/chef/chef.sh (build-real-templates.sh)
printf '#!/bin/sh\necho "chef-server-ctl $*" >> /var/log/chef-server-ctl.log\n' > /usr/bin/chef-server-ctl
chmod 755 /usr/bin/chef-server-ctl
echo "chef.sh stub ran on $(. /etc/os-release && echo "$ID $VERSION_ID")" > /root/chef-stub
STUB
	fi
	if [ -d "$1/examples/alicloud/jenkins" ]; then
		# jenkins.sh downloads Tomcat and Jenkins: the stub installs the JDK with the image's
		# package manager, as the script does, and records that it ran.
		cat >"$1/examples/alicloud/jenkins/jenkins.sh" <<'STUB'
#!/bin/sh
# stub of Packer's examples/alicloud/jenkins/jenkins.sh (build-real-templates.sh)
sudo apt-get update -y && sudo apt-get install -y openjdk-7-jdk && echo jenkins-stub > /root/jenkins-stub
STUB
	fi
}

# check NAME KIND — what the template's provisioners leave on its image.
check () {
	[ "$(rc_of "$1")" = 0 ] || { show "$1"; fail "$1: exit $(rc_of "$1")"; }
	_disk=$(image_disk "$1")
	case $2 in
	basic | docs) [ -f "$_disk/var/lib/yum/installed/redis.x86_64" ] || fail "$1: redis is not on the image" ;;
	datadisk)
		[ -f "$_disk/var/lib/yum/installed/redis.x86_64" ] || fail "$1: redis is not on the image"
		[ "$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageName=packer_with_data_disk \
			--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping' --format count)" = 3 ] || fail "$1: the image does not map its two data disks" ;;
	windows) grep -q '    alicloud-ecs: .*Windows' "$work/$1.err" || { show "$1"; fail "$1: no dir output"; } ;;
	chef)
		grep -q 'chef-server-ctl reconfigure' "$_disk/var/log/chef-server-ctl.log" || fail "$1: chef-server-ctl reconfigure did not run"
		# The guest's os-release is the release the template's image names.
		_want="ubuntu 18.04"
		[ "$1" != packer-v1.1.0-chef ] || _want="ubuntu 14.04"
		[ "$(cat "$_disk/root/chef-stub")" = "chef.sh stub ran on $_want" ] || fail "$1: not an $_want instance: $(cat "$_disk/root/chef-stub")" ;;
	jenkins)
		[ -f "$_disk/root/jenkins-stub" ] && grep -q 'openjdk-7-jdk' "$_disk/var/lib/dpkg/status" || fail "$1: the JDK is not on the image"
		grep -q 'Packer uses the classic network here' "$work/$1.err" || fail "$1: no classic-network warning" ;;
	esac
}

# Each group: one emulator, its templates built at once from a copy of their release's tree.
total=0
for group in "packer-v1.6.6: basic=examples/alicloud/basic/alicloud.json windows=examples/alicloud/basic/alicloud_windows.json datadisk=examples/alicloud/basic/alicloud_with_data_disk.json chef=examples/alicloud/chef/alicloud.json jenkins=examples/alicloud/jenkins/alicloud.json docs=docs/alicloud-ecs.json" \
	"packer-v1.1.0: basic=examples/alicloud/basic/alicloud.json datadisk=examples/alicloud/basic/alicloud_with_data_disk.json chef=examples/alicloud/chef/alicloud.json jenkins=examples/alicloud/jenkins/alicloud.json docs=docs/alicloud-ecs.json packer-v1.4.0/windows=examples/alicloud/basic/alicloud_windows.json" \
	"packer-plugin-alicloud: basic=builder/examples/basic/alicloud.json"; do
	release=${group%%:*}
	with_sim ""
	pids=
	for entry in ${group#*:}; do
		kind=${entry%%=*}
		tree=$release
		case $kind in */*) tree=${kind%%/*}; kind=${kind#*/} ;; esac
		if [ ! -d "$work/$tree" ]; then
			cp -R "$here/../templates/real/$tree" "$work/$tree"
			stub_scripts "$work/$tree"
		fi
		# The templates name their files relative to the directory Packer runs in.
		(cd "$work/$tree" && build "$tree-$kind" "${entry#*=}" </dev/null) &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for entry in ${group#*:}; do
		kind=${entry%%=*}
		tree=$release
		case $kind in */*) tree=${kind%%/*}; kind=${kind#*/} ;; esac
		check "$tree-$kind" "$kind"
		total=$((total + 1))
	done
	assert_no_leak "$release"
	assert_no_secret
done
printf 'build-real-templates: %s templates built unchanged\n' "$total"
