#!/bin/sh
# The seed's Windows template (examples/windows.json), unchanged, builds on ecs-sim over
# WinRM: the user data turns WinRM on, the powershell provisioner runs with its output
# streamed, a second build with -force replaces the image, a template without the user
# data times out waiting for WinRM and leaves nothing, one without winrm_password is refused
# before any call, and winrm_use_ssl builds over HTTPS. The winrm_password never shows up.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
# The template names its user data relative to the current directory, as Packer resolves it.
cd "$here/../.."
password=Test1234 # the template's winrm_password
# The template waits 30 minutes for WinRM: a broken WinRM path must fail the test sooner.
# shellcheck disable=SC2034 # read by build (lib/build.sh)
BUILD_TIMEOUT=${BUILD_TIMEOUT:-120}

# assert_no_password — not in any output, ledger, the request log, the state or the emulator's log.
assert_no_password () {
	for _f in "$work"/*.out "$work"/*.err "$ALICLOUD_BUILD_STATE"/ledgers/* "$ECS_SIM_LOG"; do
		[ -f "$_f" ] || continue
		! grep -qF "$password" "$_f" || fail "the winrm_password is in $_f"
	done
	! grep -rqF "$password" "$work/sim" || fail "the winrm_password is in the emulator's state: $(grep -rlF "$password" "$work/sim" | head -n 3)"
	grep -q '"Password":"\[redacted\]"' "$work/sim/requests.jsonl" || fail "CreateInstance did not send the instance Password"
}

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile instant --state "$work/sim" || fail "ecs-sim did not start"

# --- 1. the seed's template ------------------------------------------------------------
build win examples/windows.json
[ "$(rc_of win)" = 0 ] || { show win; fail "the build exited $(rc_of win)"; }
image=$(sed -n 's/^cn-beijing: \(m-[a-z0-9]*\)$/\1/p' "$work/win.out")
[ -n "$image" ] || { cat "$work/win.out" >&2; fail "no artifact line"; }
expected='Force delete flag found, skipping prevalidating image name.
Not using temporary keypair
Creating vpc...
Creating instance...
Allocating eip...
Starting instance:
Using winrm communicator to connect: 127.
Waiting for WinRM to become available...
Connected to WinRM!
Provisioning with Powershell...
Provisioning with powershell script: inline
Stopping instance:
Creating image: packer_test
Cleaning up '"'"'EIP'"'"'
Cleaning up '"'"'instance'"'"'
Cleaning up '"'"'VPC'"'"''
printf '%s\n' "$expected" | while IFS= read -r step; do
	grep -qF "==> alicloud-ecs: $step" "$work/win.err" || { show win; fail "missing step: $step"; }
done
! grep -q 'temporary keypair:' "$work/win.err" || fail "a temporary key pair was made although winrm_password is set"
# The provisioner's "dir c:\" ran on the instance, its lines streamed with the prefix.
heading="    alicloud-ecs:     Directory: C:\\"
grep -qxF "$heading" "$work/win.err" || { show win; fail "no PowerShell listing of C:\\ with the prefix"; }
grep -q '^    alicloud-ecs: d----  .* Windows$' "$work/win.err" || { show win; fail "C:\\Windows is not listed"; }
grep -q "^Build 'alicloud-ecs' finished after " "$work/win.err" || fail "no finished line"

dump >/dev/null
[ "$(q 'requests.AttachKeyPair' 2>/dev/null || echo 0)" = 0 ] || fail "AttachKeyPair was called for a Windows instance"
os=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$image" --query 'Images.Image[0].OSType')
[ "$os" = windows ] || fail "image $image is not a Windows image ($os)"
old_snap=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$image" \
	--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
assert_no_leak win

# --- 2. again with -force: the image is replaced ----------------------------------------
build force -force examples/windows.json
[ "$(rc_of force)" = 0 ] || { show force; fail "the -force build exited $(rc_of force)"; }
new=$(sed -n 's/^cn-beijing: \(m-[a-z0-9]*\)$/\1/p' "$work/force.out")
if [ -z "$new" ] || [ "$new" = "$image" ]; then fail "the -force build delivered no new image ($new)"; fi
grep -qF '==> alicloud-ecs: Deleting duplicated image and snapshot in cn-beijing: packer_test' "$work/force.err" || { show force; fail "the old image was not deleted"; }
named=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageName=packer_test ImageOwnerAlias=self --query 'Images.Image[*].ImageId')
[ "$named" = "$new" ] || fail "images named packer_test: $(printf '%s' "$named" | tr '\n' ' ') (want only $new)"
dump >/dev/null
! q 'resources.snapshots[*].id' 2>/dev/null | grep -qx "$old_snap" || fail "the old image's snapshot $old_snap is left"
assert_no_leak force

# --- 3. no user data: WinRM never answers, the wait times out, everything is released ----
sed 's#"user_data_file": "examples/alicloud/basic/winrm_enable_userdata.ps1"#"winrm_timeout": "1s"#' examples/windows.json >"$work/no-userdata.json"
build closed "$work/no-userdata.json"
[ "$(rc_of closed)" = 1 ] || { show closed; fail "the build without user data exited $(rc_of closed), not 1"; }
grep -qF '==> alicloud-ecs: Timeout waiting for WinRM.' "$work/closed.err" || { show closed; fail "no WinRM timeout"; }
grep -qF "==> alicloud-ecs: Deleting instance because of cancellation or error..." "$work/closed.err" || fail "the instance was not deleted"
! grep -q '^cn-beijing: m-' "$work/closed.out" || fail "an artifact from a failed build"
assert_no_leak closed

# --- 4. no winrm_password: refused before any call (Packer would make a temporary key pair,
# which AttachKeyPair refuses for a Windows instance: DependencyViolation.WindowsInstance).
sed 's#"winrm_password": "Test1234",##' examples/windows.json >"$work/no-password.json"
before=$(dump >/dev/null && q requestTotal)
build nopass "$work/no-password.json"
[ "$(rc_of nopass)" = 65 ] || { show nopass; fail "the build without winrm_password exited $(rc_of nopass), not 65"; }
grep -qF '"winrm_password" is required when the communicator is winrm' "$work/nopass.err" || { show nopass; fail "no winrm_password error"; }
[ "$(dump >/dev/null && q requestTotal)" = "$before" ] || fail "the refused template sent requests"

# --- 5. WinRM over HTTPS (winrm_use_ssl, winrm_insecure: the instance's self-signed certificate) --
# (another image name: replacing packer_test without -force would keep its snapshot, as Packer does)
sed -e 's#"winrm_port": 5985,#"winrm_use_ssl": true, "winrm_insecure": true,#' \
	-e 's#"image_name":"packer_test"#"image_name":"packer_test_tls"#' examples/windows.json >"$work/tls.json"
build tls "$work/tls.json"
[ "$(rc_of tls)" = 0 ] || { show tls; fail "the HTTPS build exited $(rc_of tls)"; }
grep -qxF "$heading" "$work/tls.err" || { show tls; fail "the provisioner did not run over HTTPS"; }
grep -q '"Permissions.1.PortRange":"5986/5986"' "$work/sim/requests.jsonl" || fail "the security group did not open 5986"
assert_no_leak tls

# --- 6. a failing powershell provisioner: Packer's error, in order, and nothing left ----------
sed 's#"inline": \["dir c:\\\\"\]#"inline": ["Write-Output before", "Write-Error oops", "exit 3"]#' examples/windows.json >"$work/fails.json"
build fails "$work/fails.json"
[ "$(rc_of fails)" = 1 ] || { show fails; fail "the failing provisioner's build exited $(rc_of fails), not 1"; }
grep -qF "Build 'alicloud-ecs' errored after " "$work/fails.err" || { show fails; fail "no errored line"; }
grep -qF 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]' "$work/fails.err" || { show fails; fail "not Packer's provisioner error"; }
[ "$(grep -n -e '^==> alicloud-ecs: Provisioning with Powershell' -e '^    alicloud-ecs: before$' -e '^==> alicloud-ecs: oops$' "$work/fails.err" | cut -d: -f2- | tr '\n' '|')" = \
	"==> alicloud-ecs: Provisioning with Powershell...|    alicloud-ecs: before|==> alicloud-ecs: oops|" ] || { show fails; fail "the provisioner's lines are out of order"; }
assert_no_leak fails

assert_no_secret
assert_no_password
[ -z "$(sh "$scripts/alicloud-build" ledgers)" ] || fail "an open ledger is left"
printf 'build-windows: image %s replaced by %s, WinRM timeout cleaned up, nothing left\n' "$image" "$new"
