#!/bin/sh
# The broken-template corpus: every Tests/templates/broken/NN-*.json must fail (exit 65, or
# 78 for missing credentials or region) with exactly the stderr and status in NN-*.err (the current directory written as @PWD@). NN-*.args
# holds extra arguments, one a line; NN-*.env environment settings (NAME=VALUE, one a line).
# With UPDATE=1 it rewrites the .err files instead (review the diff before committing).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail=0
count=0
for t in Tests/templates/broken/[0-9]*.json; do
	case $t in *.vars.json) continue ;; esac
	n=${t%.json}
	count=$((count + 1))
	set --
	if [ -f "$n.args" ]; then
		while IFS= read -r a; do set -- "$@" "$a"; done <"$n.args"
	fi
	envs=
	[ ! -f "$n.env" ] || envs=$(cat "$n.env")
	status=0
	# shellcheck disable=SC2086 # one NAME=VALUE a word
	env $envs "${BIN:-.build/debug}/tmpl-render" --validate "$@" "$t" 2>"$tmp" || status=$?
	printf 'status %s\n' "$status" >>"$tmp"
	sed "s|$root|@PWD@|g" "$tmp" >"$tmp.n"
	if [ "${UPDATE:-}" = 1 ]; then
		mv "$tmp.n" "$n.err"
	elif ! diff -u "$n.err" "$tmp.n"; then
		printf 'corpus: %s: unexpected output\n' "$t" >&2
		fail=1
	fi
	rm -f "$tmp.n"
done
[ "$count" -ge 40 ] || { printf 'corpus: only %d cases\n' "$count" >&2; exit 1; }
printf 'corpus: %d cases\n' "$count"
exit "$fail"
