#!/bin/sh
# own-net.sh CMD [ARG...] — runs CMD where ecs-sim's instances can have their sshd on port 22
# of 127.0.0.x (make demo, make test): here, unless another process holds port 22 on every
# address (a machine's own sshd on 0.0.0.0:22, as Debian's openssh-server starts it); then,
# as root, in a private network namespace with a loopback interface and nothing else.
# ecs-sim, its instances and the builds talk only over 127.0.0.0/8, so that is all they need;
# the machine's sshd and network are left as they are.
# ecs-sim is $ECS_SIM_BIN, else $BIN/ecs-sim, else ecs-sim on PATH. CMD finds ECS_SIM_NET=host or private in its
# environment (and a CMD that runs own-net.sh again is not moved twice).
set -u
prog=${prog:-own-net}
if [ -n "${ECS_SIM_NET:-}" ]; then exec "$@"; fi
_on_bin=${ECS_SIM_BIN:-${BIN:+$BIN/}ecs-sim}
_on_rc=0
"$_on_bin" --check-ssh-port 2>/dev/null || _on_rc=$?
if [ "$_on_rc" -ne 69 ] || [ "$(id -u)" -ne 0 ]; then
	# Port 22 is free (or ecs-sim will say itself what is wrong).
	ECS_SIM_NET=host
	export ECS_SIM_NET
	exec "$@"
fi
_on_held="port 22 is held on every address here (the machine's own sshd?)"
for _on_tool in unshare ip; do
	command -v "$_on_tool" >/dev/null 2>&1 ||
		{ printf '%s: %s and %s is missing to run in a private network namespace: apt-get install %s\n' \
			"$prog" "$_on_held" "$_on_tool" "$([ "$_on_tool" = ip ] && echo iproute2 || echo util-linux)" >&2; exit 69; }
done
unshare --net -- true 2>/dev/null ||
	{ printf '%s: %s and no network namespace can be made to run in: have that sshd listen on 127.0.0.1 alone (ListenAddress 127.0.0.1), or give ecs-sim --ssh-port N and the template ssh_port N\n' "$prog" "$_on_held" >&2; exit 69; }
printf '%s: %s: running in a private network namespace with only a loopback interface\n' "$prog" "$_on_held" >&2
ECS_SIM_NET=private
export ECS_SIM_NET
exec unshare --net -- sh -c 'ip link set lo up || exit 69; exec "$@"' sh "$@"
