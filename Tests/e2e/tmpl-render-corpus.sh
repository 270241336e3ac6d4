#!/bin/sh
# The template corpora, each case a Tests/templates/{broken,valid}/NN-*.json (or an HCL2
# Tests/templates/broken-hcl/NN-*.pkr.hcl) with its exact
# stderr and exit status in NN-*.err (the current directory written as @PWD@); NN-*.args
# holds extra arguments (one a line), NN-*.env environment settings (NAME=VALUE, one a line).
# broken, broken-hcl: every case fails (65, or 78 for missing credentials or region).
# valid: every case renders (exit 0), and each line "PATH VALUE" of NN-*.check holds for
# builds[0].config of its plan (the value as --query prints it, lines joined by spaces).
# With UPDATE=1 the .err files are rewritten instead (review the diff before committing).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
for v in $(env | sed -n 's/^\(PKR_VAR_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tool=${BIN:-.build/debug}/tmpl-render
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run_case KIND FILE — renders one case (--validate for broken ones), the plan in $tmp/plan;
# compares its stderr and status with the .err file; sets $status.
run_case () {
	_n=${2%.json}
	_n=${_n%.pkr.hcl}
	set -- "$1" "$2"
	if [ -f "$_n.args" ]; then
		while IFS= read -r a; do set -- "$@" "$a"; done <"$_n.args"
	fi
	_kind=$1 _t=$2
	shift 2
	[ "$_kind" = valid ] || set -- --validate "$@"
	envs=
	[ ! -f "$_n.env" ] || envs=$(cat "$_n.env")
	status=0
	# shellcheck disable=SC2086 # one NAME=VALUE a word
	env $envs "$tool" "$@" "$_t" >"$tmp/plan" 2>"$tmp/err" || status=$?
	printf 'status %s\n' "$status" >>"$tmp/err"
	sed "s|$root|@PWD@|g" "$tmp/err" >"$tmp/err.n"
	if [ "${UPDATE:-}" = 1 ]; then
		mv "$tmp/err.n" "$_n.err"
	elif ! diff -u "$_n.err" "$tmp/err.n"; then
		printf 'corpus: %s: unexpected output\n' "$_t" >&2
		fail=1
	fi
}

broken=0
for t in Tests/templates/broken/[0-9]*.json; do
	case $t in *.vars.json) continue ;; esac
	broken=$((broken + 1))
	run_case broken "$t"
done

hcl=0
for t in Tests/templates/broken-hcl/[0-9]*.pkr.hcl; do
	hcl=$((hcl + 1))
	run_case broken "$t"
done

valid=0
checks=0
for t in Tests/templates/valid/[0-9]*.json; do
	valid=$((valid + 1))
	run_case valid "$t"
	[ "$status" = 0 ] || continue
	[ -f "${t%.json}.check" ] || { printf 'corpus: %s: no .check\n' "$t" >&2; fail=1; continue; }
	while read -r path want; do
		checks=$((checks + 1))
		got=$("$tool" --plan "$tmp/plan" --query "builds[0].config.$path" 2>&1 | sed "s|$root|@PWD@|g" | tr '\n' ' ' | sed 's/ $//')
		[ "$got" = "$want" ] || { printf 'corpus: %s: %s is "%s", wanted "%s"\n' "$t" "$path" "$got" "$want" >&2; fail=1; }
	done <"${t%.json}.check"
done

[ "$broken" -ge 40 ] && [ "$hcl" -ge 40 ] && [ "$valid" -ge 20 ] || { printf 'corpus: only %d broken, %d broken HCL2 and %d valid cases\n' "$broken" "$hcl" "$valid" >&2; exit 1; }
printf 'corpus: %d broken cases, %d broken HCL2 cases, %d valid cases with %d checks\n' "$broken" "$hcl" "$valid" "$checks"
exit "$fail"
