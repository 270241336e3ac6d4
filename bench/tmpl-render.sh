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

# HCL2: 1,000 sources and 1,000 locals (each local reads the one before: the dependency
# order matters), one build naming every source, with a provisioner and a post-processor
# chain. Target: under 1 s. The parse time of python-hcl2 (PyPI, when installed) on the same
# file is printed beside it; tmpl-render's figure includes evaluation and the plan.
awk 'BEGIN {
	printf "variable \"region\" {\n  type    = string\n  default = \"cn-beijing\"\n}\n\nlocals {\n  l0000 = \"v\"\n"
	for (i = 1; i < 1000; i++) printf "  l%04d = \"${local.l%04d}-%d\"\n", i, i - 1, i % 10
	printf "}\n\n"
	for (i = 0; i < 1000; i++) {
		printf "source \"alicloud-ecs\" \"s%04d\" {\n  region        = var.region\n  image_name    = \"img-%d-${length(local.l%04d)}\"\n", i, i, i
		printf "  source_image  = \"centos_7\"\n  instance_type = \"ecs.t5-lc1m1.small\"\n  ssh_username  = \"root\"\n  io_optimized  = true\n"
		printf "  tags = {\n    n = \"%d\"\n  }\n}\n\n", i
	}
	printf "build {\n  sources = [\n"
	for (i = 0; i < 1000; i++) printf "    \"source.alicloud-ecs.s%04d\",\n", i
	printf "  ]\n\n  provisioner \"shell\" {\n    inline = [\"echo ${source.name}\", \"yum install -y redis\"]\n  }\n\n"
	printf "  post-processors {\n    post-processor \"manifest\" {\n      output = \"${source.name}.json\"\n    }\n  }\n}\n"
}' >"$tmp/t.pkr.hcl"
start=$(date +%s.%N)
"$bin/tmpl-render" "$tmp/t.pkr.hcl" >"$tmp/plan.json"
end=$(date +%s.%N)
last=$("$bin/tmpl-render" --query 'builds[-1].name' "$tmp/t.pkr.hcl")
[ "$last" = alicloud-ecs.s0999 ] || { echo "bench: unexpected HCL2 plan ($last)" >&2; exit 1; }
hcl=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
if python3 -c 'import hcl2' 2>/dev/null; then
	py=$(python3 -c 'import sys, time, hcl2
t = time.time()
with open(sys.argv[1]) as f: hcl2.load(f)
print("%.3f" % (time.time() - t))' "$tmp/t.pkr.hcl")
	py="python-hcl2 parses the same file in $py s"
else
	py="python-hcl2 not installed (pip install python-hcl2), no comparison"
fi
printf 'tmpl-render: HCL2, 1000 sources and 1000 locals rendered in %s s (%d bytes of HCL); %s\n' "$hcl" "$(wc -c <"$tmp/t.pkr.hcl")" "$py"
awk -v t="$hcl" 'BEGIN { exit !(t < 1) }'
