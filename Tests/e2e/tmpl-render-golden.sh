#!/bin/sh
# Golden plans: each examples/*.json renders (from the repository root, fixed clock and
# the emulator's test keys) to exactly Tests/templates/golden/<name>.plan (the root as
# @PWD@). UPDATE=1 rewrites them.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail=0
for t in examples/*.json; do
	name=$(basename "$t" .json)
	"${BIN:-.build/debug}/tmpl-render" "$t" | sed "s|$root|@PWD@|g" >"$tmp"
	if [ "${UPDATE:-}" = 1 ]; then
		cp "$tmp" "Tests/templates/golden/$name.plan"
	elif ! diff -u "Tests/templates/golden/$name.plan" "$tmp"; then
		printf 'golden: %s differs\n' "$t" >&2
		fail=1
	fi
done
# Same input, same bytes.
"${BIN:-.build/debug}/tmpl-render" examples/windows.json >"$tmp"
"${BIN:-.build/debug}/tmpl-render" examples/windows.json | cmp -s - "$tmp" || { echo 'golden: output not reproducible' >&2; fail=1; }
exit "$fail"
