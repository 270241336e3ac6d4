#!/bin/sh
# The valid-template corpus: every Tests/templates/valid/NN-*.json renders with exit 0, its
# stderr (warnings, then "status 0") exactly NN-*.err (the current directory written as
# @PWD@), and each line "PATH VALUE" of NN-*.check holds for builds[0]'s plan: the value at
# PATH as --query prints it, lines joined by spaces. NN-*.env holds environment settings
# (NAME=VALUE, one a line). With UPDATE=1 the .err files are rewritten (review the diff).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tool=${BIN:-.build/debug}/tmpl-render
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
count=0
checks=0
for t in Tests/templates/valid/[0-9]*.json; do
	n=${t%.json}
	count=$((count + 1))
	envs=
	[ ! -f "$n.env" ] || envs=$(cat "$n.env")
	status=0
	# shellcheck disable=SC2086 # one NAME=VALUE a word
	env $envs "$tool" "$t" >"$tmp/plan" 2>"$tmp/err" || status=$?
	printf 'status %s\n' "$status" >>"$tmp/err"
	sed "s|$root|@PWD@|g" "$tmp/err" >"$tmp/err.n"
	if [ "${UPDATE:-}" = 1 ]; then
		mv "$tmp/err.n" "$n.err"
	elif ! diff -u "$n.err" "$tmp/err.n"; then
		printf 'valid: %s: unexpected output\n' "$t" >&2
		fail=1
	fi
	[ "$status" = 0 ] || continue
	[ -f "$n.check" ] || { printf 'valid: %s: no .check\n' "$t" >&2; fail=1; continue; }
	while read -r path want; do
		checks=$((checks + 1))
		got=$("$tool" --plan "$tmp/plan" --query "builds[0].config.${path#builds\[0\].config.}" 2>&1 | sed "s|$root|@PWD@|g" | tr '\n' ' ' | sed 's/ $//')
		[ "$got" = "$want" ] || { printf 'valid: %s: %s is "%s", wanted "%s"\n' "$t" "$path" "$got" "$want" >&2; fail=1; }
	done <"$n.check"
done
[ "$count" -ge 20 ] || { printf 'valid: only %d cases\n' "$count" >&2; exit 1; }
printf 'valid: %d cases, %d checks\n' "$count" "$checks"
exit "$fail"
