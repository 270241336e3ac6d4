#!/bin/sh
# Agreement with `packer validate` (Packer 1.6.6, whose HCL2 was beta) on the broken-HCL2
# corpus: Packer must reject every case tmpl-render rejects, except these, where tmpl-render
# follows current Packer's documentation or is a toolkit's limit (each one checked here, so
# the list cannot go stale):
#   13-other-builder-type         Packer runs amazon-ebs; this toolkit runs alicloud-ecs only
#   16-duplicate-local            1.6.6 keeps the last; current Packer: duplicate local is an error
#   17-no-build                   1.6.6 validates a template with nothing to build
#   19-build-source-duplicate     1.6.6 runs the same source twice under one name
#   44-provisioner-only-unknown   1.6.6 ignores an only/except name that matches no source
#   51-source-outside-build       1.6.6 never evaluates an unused local
#   53-pkrvars-undeclared-and-bad 1.6.6 does not evaluate a var file's unused values
#   58-provisioner-override-unknown 1.6.6 ignores an override for no source (Packer's JSON
#                                 templates reject it, and so does tmpl-render for both)
# and this one, where 1.6.6 rejects the template by crashing (a nil dereference in validate):
#   45-provisioner-bad-duration
# Packer runs in a scratch directory, where it may leave its crash.log.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v packer >/dev/null || { printf 'agree: packer is not installed (scripts/install-deps)\n' >&2; exit 1; }
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ CHECKPOINT_DISABLE=1
accepted=' 13 16 17 19 44 51 53 58 '
crashes=' 45 '
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
count=0
for t in Tests/templates/broken-hcl/[0-9]*.pkr.hcl; do
	n=${t%.pkr.hcl}
	nn=$(basename "$n" | cut -c1-2)
	count=$((count + 1))
	set --
	if [ -f "$n.args" ]; then
		while IFS= read -r a; do
			case $a in Tests/*) a=$root/$a ;; esac
			set -- "$@" "$a"
		done <"$n.args"
	fi
	status=0
	rm -f "$scratch/crash.log"
	(cd "$scratch" && timeout 120 packer validate "$@" "$root/$t" >/dev/null 2>&1) || status=$?
	crashed=no
	[ ! -f "$scratch/crash.log" ] || crashed=yes
	case $crashes in
	*" $nn "*)
		[ "$crashed" = yes ] || { printf 'agree: %s: packer 1.6.6 no longer crashes on it: move it out of the crash list\n' "$t" >&2; fail=1; }
		continue ;;
	esac
	[ "$crashed" = no ] || { printf 'agree: %s: packer crashed\n' "$t" >&2; fail=1; }
	case $accepted in
	*" $nn "*)
		[ "$status" = 0 ] || { printf 'agree: %s: packer 1.6.6 now rejects it (exit %s): drop it from the list\n' "$t" "$status" >&2; fail=1; } ;;
	*)
		[ "$status" != 0 ] || { printf 'agree: %s: packer validate accepts it\n' "$t" >&2; fail=1; } ;;
	esac
done
printf 'agree: %d cases, %d accepted and %d crashing packer 1.6.6 as listed\n' "$count" "$(printf '%s' "$accepted" | wc -w)" "$(printf '%s' "$crashes" | wc -w)"
exit "$fail"
