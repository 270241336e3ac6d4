#!/bin/sh
# tmpl-render's command line: exit statuses, stdin, --query, -var=, -var/-var-file order, --validate.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
t=${BIN:-.build/debug}/tmpl-render
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01 ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ TMPL_RENDER_NOW=1700000000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail () { printf 'tmpl-render-cli: %s\n' "$1" >&2; exit 1; }
st () { _s=0; "$@" >"$tmp/out" 2>"$tmp/err" || _s=$?; echo "$_s"; }

[ "$(st "$t" examples/alicloud.json)" = 0 ] || fail "render failed"
[ "$(st "$t" --validate examples/windows.json)" = 0 ] || fail "--validate failed"
[ ! -s "$tmp/out" ] || fail "--validate printed"
[ "$("$t" --query 'builds[0].config.region' examples/alicloud.json)" = cn-beijing ] || fail "--query"
[ "$("$t" -query 'builds[0].provisioners[0].config.inline[1]' - <examples/alicloud.json)" = "yum install redis.x86_64 -y" ] || fail "stdin"
# HCL2 on stdin too: the content tells its syntax; messages name <stdin>.
[ "$("$t" -var region=cn-hangzhou --query 'builds[0].config.region' - <examples/alicloud.pkr.hcl)" = cn-hangzhou ] || fail "stdin: HCL2"
printf 'build {\n  sources = ["source.alicloud-ecs.nope"]\n}\n' >"$tmp/bad.pkr.hcl"
[ "$(st "$t" - <"$tmp/bad.pkr.hcl")" = 65 ] || fail "stdin: bad HCL2 not 65"
grep -q '^tmpl-render: <stdin>:2:14: unknown source source.alicloud-ecs.nope' "$tmp/err" || fail "stdin: HCL2 message"
[ "$("$t" -var=secret_key=zz --query 'builds[0].config.secret_key' examples/alicloud.json)" = zz ] || fail "-var=k=v"
# Var files apply in turn, then every -var (whatever the order given), as Packer's binaries
# do, for JSON and HCL2 alike.
printf '{"secret_key":"fromfile"}' >"$tmp/v.json"
[ "$("$t" -var secret_key=cli -var-file "$tmp/v.json" --query 'builds[0].config.secret_key' examples/alicloud.json)" = cli ] || fail "json: -var then -var-file"
[ "$("$t" -var-file "$tmp/v.json" -var secret_key=cli --query 'builds[0].config.secret_key' examples/alicloud.json)" = cli ] || fail "json: -var-file then -var"
printf 'region = "cn-shanghai"\n' >"$tmp/v.pkrvars.hcl"
[ "$(PKR_VAR_region=cn-qingdao "$t" -var region=cn-hangzhou -var-file "$tmp/v.pkrvars.hcl" --query 'builds[0].config.region' examples/alicloud.pkr.hcl)" = cn-hangzhou ] || fail "hcl2: -var then -var-file"
[ "$(PKR_VAR_region=cn-qingdao "$t" -var-file "$tmp/v.pkrvars.hcl" -var=region=cn-hangzhou --query 'builds[0].config.region' examples/alicloud.pkr.hcl)" = cn-hangzhou ] || fail "hcl2: -var-file then -var"
[ "$(PKR_VAR_region=cn-qingdao "$t" --query 'builds[0].config.region' examples/alicloud.pkr.hcl)" = cn-qingdao ] || fail "hcl2: PKR_VAR_"
[ "$(st "$t")" = 64 ] || fail "no template: not 64"
[ "$(st "$t" -var novalue examples/alicloud.json)" = 64 ] || fail "-var without =: not 64"
grep -q 'tmpl-render: -var novalue: expected name=value' "$tmp/err" || fail "-var message"
[ "$(st "$t" -only nosuch examples/alicloud.json)" = 64 ] || fail "-only nosuch: not 64"
[ "$(st "$t" no/such/template.json)" = 66 ] || fail "missing template: not 66"
grep -qx 'tmpl-render: no/such/template.json: no such file' "$tmp/err" || fail "missing template message"
[ "$(st "$t" -var-file no/such.json examples/alicloud.json)" = 66 ] || fail "missing var file: not 66"
[ "$(st "$t" --bogus examples/alicloud.json)" = 64 ] || fail "unknown option: not 64"
[ "$(st "$t" --help)" = 0 ] || fail "--help status"
grep -q '^usage: tmpl-render' "$tmp/out" || fail "--help text"
printf '{"builders":[{"type":"alicloud-ecs",}]}' >"$tmp/bad.json"
[ "$(st "$t" "$tmp/bad.json")" = 65 ] || fail "syntax error: not 65"
grep -q ':1:37: JSON syntax error' "$tmp/err" || fail "syntax error position"
( unset ALICLOUD_ACCESS_KEY ALICLOUD_SECRET_KEY; [ "$(st "$t" examples/alicloud.json)" = 78 ] ) || fail "missing credentials: not 78"
# Secrets never reach stderr: a sensitive variable inside a bad value is redacted.
# shellcheck disable=SC2016 # the backquotes are template syntax
printf '{"variables":{"pw":"hunter2secret"},"sensitive-variables":["pw"],"builders":[{"type":"alicloud-ecs","region":"r","image_name":"im","source_image":"s","instance_type":"t","ssh_username":"root","ssh_port":"{{user `pw`}}"}]}' >"$tmp/s.json"
[ "$(st "$t" "$tmp/s.json")" = 65 ] || fail "bad port: not 65"
grep -q hunter2secret "$tmp/err" && fail "secret on stderr"
grep -q '<redacted>' "$tmp/err" || fail "no redaction"
exit 0
