#!/bin/sh
# SDK fidelity: the official Python SDKs (aliyun-python-sdk-core + -ecs, alibabacloud-ecs20140526)
# drive ecs-sim through a full create/delete cycle (Tests/sdk/sdk_fidelity.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/ecs-sim.sh disable=SC1091
. "$here/../../scripts/lib/ecs-sim.sh"
trap 'ecs_sim_stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ! python3 -c 'import aliyunsdkcore, aliyunsdkecs, alibabacloud_ecs20140526' 2>/dev/null; then
	python3 -m pip install -q --disable-pip-version-check aliyun-python-sdk-core aliyun-python-sdk-ecs alibabacloud-ecs20140526 >/dev/null 2>&1 ||
		{ printf 'ecs-sim-sdk: cannot install the Python SDKs (pip)\n' >&2; exit 1; }
fi
# shellcheck disable=SC2119 # no options: the defaults
ecs_sim_start
python3 "$here/../sdk/sdk_fidelity.py" "$ECS_SIM_URL"
