#!/bin/sh
# The broken-template corpora: every Tests/templates/broken/NN-*.json and every HCL2
# Tests/templates/broken-hcl/NN-*.pkr.hcl must fail with the status and exactly the stderr
# in NN-*.err (the current directory written as @PWD@); NN-*.args holds extra arguments.
# With UPDATE=1 it rewrites the .err files instead (review the diff before committing).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
for v in $(env | sed -n 's/^\(PKR_VAR_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
fail=0
count=0
hcl=0
for t in Tests/templates/broken/[0-9]*.json Tests/templates/broken-hcl/[0-9]*.pkr.hcl; do
	case $t in
	*.vars.json) continue ;;
	*.pkr.hcl) n=${t%.pkr.hcl}; hcl=$((hcl + 1)) ;;
	*) n=${t%.json}; count=$((count + 1)) ;;
	esac
	set --
	if [ -f "$n.args" ]; then
		while IFS= read -r a; do set -- "$@" "$a"; done <"$n.args"
	fi
	status=0
	"${BIN:-.build/debug}/tmpl-render" --validate "$@" "$t" 2>"$tmp" || status=$?
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
[ "$count" -ge 40 ] && [ "$hcl" -ge 40 ] || { printf 'corpus: only %d JSON and %d HCL2 cases\n' "$count" "$hcl" >&2; exit 1; }
printf 'corpus: %d JSON and %d HCL2 cases\n' "$count" "$hcl"
exit "$fail"
