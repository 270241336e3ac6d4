#!/bin/sh
# Without a working ansible-playbook the build stops before any call (69). An ansible
# provisioner (a role, extra vars, a sensitive variable, --tags, groups) builds a
# Linux image over the build's own SSH connection and, at the same time, a Windows image
# over WinRM (raw PowerShell tasks), both on ecs-sim; what the playbooks wrote is on the
# images' snapshots; the sensitive values (and the WinRM password) are in no argv, output
# or file; Packer's lines.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
command -v ansible-playbook >/dev/null 2>&1 || fail "ansible-playbook is missing (scripts/install-deps installs ansible-core)"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
# Ansible's own temporary files on this machine stay in the test's directory, where the
# secret search below looks.
ANSIBLE_LOCAL_TEMP=$work/ansible-tmp
ANSIBLE_HOME=$work/ansible-home
export ANSIBLE_LOCAL_TEMP ANSIBLE_HOME
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"

# Without a working ansible-playbook the build stops at validation (69), naming the package,
# before any API call.
mkdir "$work/broken-bin"
printf '#!/bin/sh\nexit 127\n' >"$work/broken-bin/ansible-playbook"
chmod 755 "$work/broken-bin/ansible-playbook"
(PATH="$work/broken-bin:$PATH" && build noansible "$here/templates/ansible/ansible.json")
[ "$(rc_of noansible)" = 69 ] || { show noansible; fail "a broken ansible-playbook: exit $(rc_of noansible), wanted 69"; }
grep -q 'provisioners\[0\].command: "ansible-playbook --version" failed (exit status 127): install Ansible .*apt-get install ansible-core' "$work/noansible.err" \
	|| { show noansible; fail "a broken ansible-playbook: no message naming the package"; }
! grep -q 'Prevalidating' "$work/noansible.err" || fail "a broken ansible-playbook: the build started"

secret="Db$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
token="Tok$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
winrm_password=Test1234 # the Windows template's winrm_password
printf '{"db_password": "%s"}\n' "$secret" >"$work/vars.json"
printf '{"api_token": "%s"}\n' "$token" >"$work/win-vars.json"
printf '%s\n%s\n%s\n' "$secret" "$token" "$winrm_password" >"$work/secret.pattern"
build ansible -var-file "$work/vars.json" "$here/templates/ansible/ansible.json" &
bpid=$!
build win -var-file "$work/win-vars.json" "$here/templates/ansible-windows/ansible-windows.json" </dev/null &
wpid=$!
: >"$work/argv-hits"
while kill -0 "$bpid" 2>/dev/null || kill -0 "$wpid" 2>/dev/null; do
	grep -laF -f "$work/secret.pattern" /proc/[0-9]*/cmdline 2>/dev/null >>"$work/argv-hits" || :
	sleep 0.05
done
wait "$bpid" || :
wait "$wpid" || :
[ "$(rc_of ansible)" = 0 ] || { show ansible; fail "the build exited $(rc_of ansible)"; }
[ "$(rc_of win)" = 0 ] || { show win; fail "the Windows build exited $(rc_of win)"; }

# Packer's lines.
for line in '==> alicloud-ecs: Provisioning with Ansible...' \
	'    alicloud-ecs: Not using Proxy adapter for Ansible run:' \
	'    alicloud-ecs: 	Using ssh keys from Packer communicator...' \
	'==> alicloud-ecs: Executing Ansible: ansible-playbook -e packer_build_name="alicloud-ecs" -e packer_builder_type=alicloud-ecs --ssh-extra-args '"'-o IdentitiesOnly=yes'"' --tags config --extra-vars @'; do
	grep -qF -- "$line" "$work/ansible.err" || { show ansible; fail "missing line: $line"; }
done
grep -q '^    alicloud-ecs: PLAY RECAP' "$work/ansible.err" || { show ansible; fail "ansible's output is not streamed with the prefix"; }
grep -Eq '^    alicloud-ecs: default +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=0' "$work/ansible.err" || { show ansible; fail "no clean play recap"; }

# What the playbook wrote is on the image's snapshot.
disk=$(image_disk ansible)
sha=$(printf '%s' "$secret" | sha1sum | cut -d' ' -f1)
expected="version=1.2.3
groups=web
build=alicloud-ecs on alicloud-ecs
db_password_sha1=$sha
managed=ansible"
[ "$(cat "$disk/etc/app/app.conf")" = "$expected" ] || { cat "$disk/etc/app/app.conf" >&2; fail "app.conf is not what the role wrote"; }
[ "$(stat -c %a "$disk/etc/app/app.conf")" = 640 ] || fail "copy's mode was not applied"
[ "$(cat "$disk/etc/app/raw")" = raw-ok ] || fail "the raw task did not run"
[ "$(stat -c %a "$disk/var/lib/app")" = 750 ] || fail "the file task did not make /var/lib/app 0750"
[ -f "$disk/var/lib/app/created-by-command" ] || fail "the command task did not run"
[ "$(cat "$disk/etc/motd")" = "default: app 1.2.3, built with ansible" ] || fail "the role's template was not rendered"
[ ! -e "$disk/etc/app/untagged" ] || fail "--tags config ran an untagged task"

# Windows: the raw tasks tagged "site" ran over WinRM; the token only as its digest.
for line in '    alicloud-ecs: 	Using WinRM Password from Packer communicator...' \
	'==> alicloud-ecs: Executing Ansible: ansible-playbook -e packer_build_name="alicloud-ecs" -e packer_builder_type=alicloud-ecs --tags site -e @'; do
	grep -qF -- "$line" "$work/win.err" || { show win; fail "Windows: missing line: $line"; }
done
wdisk=$(image_disk win)
sha=$(printf '%s' "$token" | sha1sum | cut -d' ' -f1)
[ "$(tr -d '\r' <"$wdisk/inetpub/intranet/settings.txt")" = "site=intranet token_sha1=$sha" ] || fail "Windows: settings.txt is not what the role wrote"
[ ! -e "$wdisk/untagged.txt" ] || fail "Windows: --tags site ran an untagged task"

# The sensitive values: in no process's argv, no output, no file (state, emulator, disks,
# ansible's temporary files); the inventory and extra-vars files are gone.
[ ! -s "$work/argv-hits" ] || fail "a sensitive value was in the argv of: $(sed 's,/cmdline,/comm,' "$work/argv-hits" | xargs cat 2>/dev/null | sort -u | tr '\n' ' ')"
for s in "$secret" "$token"; do
	! grep -rqF "$s" "$work" --exclude='*vars.json' --exclude=secret.pattern 2>/dev/null || fail "a sensitive value is in: $(grep -rlF "$s" "$work" --exclude='*vars.json' --exclude=secret.pattern)"
done
! grep -qF "$winrm_password" "$work/win.err" "$work/win.out" || fail "the WinRM password is in the Windows build's output"
inventory=$(sed -n 's/.* -i \([^ ]*\) .*/\1/p' "$work/ansible.err" | head -n 1)
[ -n "$inventory" ] && [ ! -e "$inventory" ] || fail "the inventory file $inventory was kept"
assert_no_leak ansible
assert_no_secret
printf 'build-ansible: Linux and Windows images provisioned, sensitive values kept out\n'
