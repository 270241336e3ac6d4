#!/bin/sh
# Renders a generated 1,000-builder template (each with a provisioner and a post-processor
# chain) with the release build and prints the wall time. Target: under 1 s.
set -eu
bin=${1:-.build/release}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk 'BEGIN {
	printf "{\"variables\": {\"region\": \"cn-beijing\", \"ver\": \"{{isotime \\\"20060102\\\"}}\"},\n\"builders\": [\n"
	for (i = 0; i < 1000; i++) {
		printf "%s{\"type\": \"alicloud-ecs\", \"name\": \"b%04d\", \"region\": \"{{user `region`}}\", \"image_name\": \"img-%d-{{user `ver`}}\", \"source_image\": \"centos_7\", \"instance_type\": \"ecs.t5-lc1m1.small\", \"ssh_username\": \"root\", \"io_optimized\": \"true\", \"tags\": {\"n\": \"%d\"}}\n", (i ? "," : ""), i, i, i
	}
	printf "],\n\"provisioners\": [{\"type\": \"shell\", \"inline\": [\"echo {{build_name}}\", \"yum install -y redis\"]}],\n"
	printf "\"post-processors\": [[{\"type\": \"manifest\", \"output\": \"{{build_name}}.json\"}]]}\n"
}' >"$tmp/t.json"
export ALICLOUD_ACCESS_KEY=LTAI5tBenchKey ALICLOUD_SECRET_KEY=BenchSecret TMPL_RENDER_NOW=1700000000
start=$(date +%s.%N)
"$bin/tmpl-render" "$tmp/t.json" >"$tmp/plan.json"
end=$(date +%s.%N)
builds=$("$bin/tmpl-render" --query 'builds[-1].name' "$tmp/t.json")
[ "$builds" = b0999 ] || { echo "bench: unexpected plan" >&2; exit 1; }
awk -v s="$start" -v e="$end" -v b="$(wc -c <"$tmp/plan.json")" 'BEGIN { printf "tmpl-render: 1000 builders rendered in %.3f s (plan %d bytes)\n", e - s, b; exit !(e - s < 1) }'
