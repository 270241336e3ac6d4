#!/bin/sh
# Templates written by others (Tests/templates/real/, origins in its README) build unchanged
# on ecs-sim, all at once: Packer 1.6.6's alicloud examples (basic, Windows, data disks, chef,
# jenkins) and its docs' example. Scripts that would install real software from the
# internet are replaced by the stubs below (in a copy of the tree; the templates are
# never edited): chef/chef.sh and jenkins/jenkins.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
# shellcheck disable=SC2034 # read by build (lib/build.sh)
BUILD_TIMEOUT=${BUILD_TIMEOUT:-240}

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"

# The templates name their files relative to the directory Packer runs in.
cp -R "$here/../templates/real/packer-v1.6.6" "$work/packer"
# Stub for chef/chef.sh (downloads and installs Chef Server): leaves a chef-server-ctl that
# the template's next inline step runs, and records that it ran.
cat >"$work/packer/examples/alicloud/chef/chef.sh" <<'STUB'
#!/bin/sh
# stub of Packer's examples/alicloud/chef/chef.sh (build-real-templates.sh)
printf '#!/bin/sh\necho "chef-server-ctl $*" >> /var/log/chef-server-ctl.log\n' > /usr/bin/chef-server-ctl
chmod 755 /usr/bin/chef-server-ctl
echo "chef.sh stub ran on $(. /etc/os-release && echo "$ID $VERSION_ID")" > /root/chef-stub
STUB
# Stub for jenkins/jenkins.sh (downloads Tomcat and Jenkins): installs the JDK with the
# image's package manager, as the script does, and records that it ran.
cat >"$work/packer/examples/alicloud/jenkins/jenkins.sh" <<'STUB'
#!/bin/sh
# stub of Packer's examples/alicloud/jenkins/jenkins.sh (build-real-templates.sh)
sudo apt-get update -y && sudo apt-get install -y openjdk-7-jdk && echo jenkins-stub > /root/jenkins-stub
STUB
cd "$work/packer"

templates="basic=examples/alicloud/basic/alicloud.json
windows=examples/alicloud/basic/alicloud_windows.json
datadisk=examples/alicloud/basic/alicloud_with_data_disk.json
chef=examples/alicloud/chef/alicloud.json
jenkins=examples/alicloud/jenkins/alicloud.json
docs=docs/alicloud-ecs.json"
pids=
for entry in $templates; do
	build "${entry%%=*}" "${entry#*=}" </dev/null &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done

# snapshot NAME — the snapshot tree of the image build NAME made.
snapshot () {
	_img=$(sed -n 's/^cn-beijing: \(m-[a-z0-9]*\)$/\1/p' "$work/$1.out")
	[ -n "$_img" ] || { show "$1"; fail "$1: no artifact"; }
	_snap=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$_img" \
		--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
	printf '%s\n' "$work/sim/host/snapshots/$_snap"
}
for entry in $templates; do
	b=${entry%%=*}
	[ "$(rc_of "$b")" = 0 ] || { show "$b"; fail "$b (${entry#*=}): exit $(rc_of "$b")"; }
done
for b in basic datadisk docs; do
	[ -f "$(snapshot "$b")/var/lib/yum/installed/redis.x86_64" ] || fail "$b: redis is not on the image"
done
grep -q '    alicloud-ecs: .*Windows' "$work/windows.err" || { show windows; fail "windows: no dir output"; }
[ "$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageName=packer_with_data_disk \
	--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping' --format count)" = 3 ] || fail "datadisk: the image does not map its two data disks"
disk=$(snapshot chef)
grep -q 'chef-server-ctl reconfigure' "$disk/var/log/chef-server-ctl.log" || fail "chef: chef-server-ctl reconfigure did not run"
grep -q '^chef.sh stub ran on ubuntu ' "$disk/root/chef-stub" || fail "chef: not an Ubuntu instance: $(cat "$disk/root/chef-stub")"
disk=$(snapshot jenkins)
[ -f "$disk/root/jenkins-stub" ] && grep -q 'openjdk-7-jdk' "$disk/var/lib/dpkg/status" || fail "jenkins: the JDK is not on the image"
grep -q 'Packer uses the classic network here' "$work/jenkins.err" || fail "jenkins: no classic-network warning"
assert_no_leak "real templates"
assert_no_secret
printf 'build-real-templates: %s templates built unchanged\n' "$(printf '%s\n' "$templates" | wc -l)"
