#!/bin/sh
# HCL2 twins render the plans of their JSON originals:
# - the hand-written examples/X.pkr.hcl beside each examples/X.json;
# - `packer hcl2_upgrade` (Packer 1.6.6) of every JSON template of examples/, of the e2e
#   templates and of the valid corpus that renders without arguments.
# Normalisations, and nothing else:
# - build names: a JSON builder named N (or of type T) runs as "alicloud-ecs.NAME" in HCL2,
#   so each build's name, its input_digest (which covers the name) and the plan's template
#   path are left out of the comparison;
# - a warning is compared by its message: where it points (file:line:col, and the key's path,
#   `builders[0]` in JSON, `source.alicloud-ecs.NAME` in HCL2) is each template's own;
# - hcl2_upgrade 1.6.6 writes {{build_name}} as ${build.name}, which current Packer documents
#   as the build block's name (empty here), not the builder's: the twin gets ${source.name};
# - hcl2_upgrade 1.6.6 writes the system_disk_mapping object as an argument, where the
#   plugin's HCL2 spec (and so current Packer) wants a block: the twin gets the block;
# - hcl2_upgrade 1.6.6 turns {{timestamp}} (Unix seconds) into a local of
#   regex_replace(timestamp(), "[- TZ:]", ""), another value by design: with the clock fixed
#   at 1700000000, the twin's 20231114221320 is read as 1700000000.
# Everything else — every builder setting, provisioner, post-processor and sensitive value —
# must be equal.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v packer >/dev/null || { printf 'twins: packer is not installed (scripts/install-deps)\n' >&2; exit 1; }
unset ALICLOUD_REGION ALICLOUD_PROFILE SECURITY_TOKEN ALICLOUD_SECURITY_TOKEN
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
export CHECKPOINT_DISABLE=1
tmp=$(mktemp -d)
# A twin lies beside its original while it renders, so that {{template_dir}} and path.root
# name the same directory (a template may read files relative to it); removed at once.
twin=
trap 'rm -rf "$tmp"; [ -z "$twin" ] || rm -f "$twin"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bin=${BIN:-.build/debug}
fail=0
count=0

# same JSON_PLAN HCL_PLAN: equal after the normalisation, else a diff on stderr.
same () {
	python3 - "$1" "$2" <<'PY'
import difflib, json, sys
def norm(path):
    plan = json.loads(open(path).read().replace("20231114221320", "1700000000"))
    plan.pop("template", None)
    plan["warnings"] = [w.split(": ", 2)[-1] for w in plan.get("warnings", [])]
    for b in plan["builds"]:
        b.pop("name", None)
        b.pop("input_digest", None)
    return plan
a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a != b:
    sa = json.dumps(a, indent=1, sort_keys=True).splitlines()
    sb = json.dumps(b, indent=1, sort_keys=True).splitlines()
    sys.stderr.write("\n".join(difflib.unified_diff(sa, sb, "json", "hcl2", lineterm="")) + "\n")
    sys.exit(1)
PY
}

# compare JSON_TEMPLATE HCL_TEMPLATE
compare () {
	if ! "$bin/tmpl-render" "$2" >"$tmp/hcl.plan" 2>"$tmp/hcl.err"; then
		printf 'twins: %s: the HCL2 twin does not render\n' "$1" >&2
		cat "$tmp/hcl.err" >&2
		fail=1
	elif ! same "$tmp/json.plan" "$tmp/hcl.plan"; then
		printf 'twins: %s: the HCL2 twin renders another plan\n' "$1" >&2
		fail=1
	fi
	count=$((count + 1))
}

for t in examples/*.pkr.hcl; do
	"$bin/tmpl-render" "${t%.pkr.hcl}.json" >"$tmp/json.plan" || { fail=1; continue; }
	compare "${t%.pkr.hcl}.json" "$t"
done
for t in examples/*.json Tests/e2e/templates/*.json Tests/templates/valid/*.json; do
	# Only templates that render: a broken one has no plan to compare.
	"$bin/tmpl-render" "$t" >"$tmp/json.plan" 2>/dev/null || continue
	base=$(basename "$t" .json)
	twin="$root/$(dirname "$t")/.twin.$$.$base.pkr.hcl"
	if ! (cd "$tmp" && packer hcl2_upgrade -output-file="$twin" "$root/$t") >"$tmp/upgrade.log" 2>&1; then
		printf 'twins: %s: packer hcl2_upgrade failed\n' "$t" >&2
		cat "$tmp/upgrade.log" >&2
		fail=1
		continue
	fi
	sed -e 's/\${build\.name}/${source.name}/g' -e 's/^\( *system_disk_mapping\) = {/\1 {/' "$twin" >"$twin.n"
	mv "$twin.n" "$twin"
	compare "$t" "$twin"
	rm -f "$twin"
	twin=
done
[ "$count" -ge 30 ] || { printf 'twins: only %d templates compared\n' "$count" >&2; exit 1; }
printf 'twins: %d templates (3 hand-written)\n' "$count"
exit "$fail"
