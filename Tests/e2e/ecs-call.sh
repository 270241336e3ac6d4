#!/bin/sh
# ecs-call end to end against a local signature-checking endpoint: output, --query,
# pagination, every exit code, nothing sent on bad input, and no secret in any output.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=
cleanup () { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }

python3 "$here/ecs-call-server.py" "$work/log" >"$work/port" &
pid=$!
i=0
while [ ! -s "$work/port" ]; do i=$((i + 1)); [ "$i" -lt 400 ] || fail "server did not start"; sleep 0.05; done
port=$(cat "$work/port")
mkdir "$work/home"
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN ALICLOUD_PROFILE ALIBABA_CLOUD_PROFILE http_proxy HTTP_PROXY || true
export HOME="$work/home" ALICLOUD_ENDPOINT="http://127.0.0.1:$port" ALICLOUD_REGION=cn-hangzhou
export ALICLOUD_ACCESS_KEY=LTAI5tE2eKeyId ALICLOUD_SECRET_KEY='e2e-Secret/with+chars=' ALICLOUD_SECURITY_TOKEN='CAIS+e2eToken/xyz'
secret=$ALICLOUD_SECRET_KEY
token=$ALICLOUD_SECURITY_TOKEN
: >"$work/log"
sent () { wc -l <"$work/log" | tr -d ' '; }
status () { set +e; "$@" >"$work/out" 2>"$work/err"; _rc=$?; set -e; printf '%s' "$_rc"; }
expect_status () { _want=$1; shift; _got=$(status "$@"); [ "$_got" = "$_want" ] || { cat "$work/err" >&2; fail "$* exited $_got, want $_want"; }; }
no_secret () { ! grep -F -e "$secret" -e "$token" -e 'CAIS%2Be2eToken' "$@" || fail "secret or token in $*"; }

# help
expect_status 0 ecs-call --help
grep -q '^usage: ecs-call' "$work/out" || fail "help text"

# success, JSON with sorted keys, --query, --all-pages
expect_status 0 ecs-call DescribeRegions
grep -q '"RegionId": "eu-central-1"' "$work/out" || fail "DescribeRegions output"
[ "$(ecs-call DescribeRegions --query 'Regions.Region[*].RegionId')" = "cn-hangzhou
eu-central-1" ] || fail "--query output"
id=$(ecs-call --product vpc CreateVpc CidrBlock=172.16.0.0/12 'VpcName=my vpc' --query VpcId)
[ "$id" = "vpc-e2ecn-hangzhou" ] || fail "CreateVpc --query: $id"
[ "$(ecs-call --product vpc --all-pages DescribeVpcs --query 'Vpcs.Vpc[*].VpcId' | tr '\n' ' ')" = "vpc-0 vpc-1 vpc-2 " ] || fail "--all-pages"
expect_status 0 ecs-call --signature v3 DescribeRegions
no_secret "$work/out" "$work/err"

# --debug: the string-to-sign and the exchange, never the secret or token
expect_status 0 ecs-call --debug DescribeRegions
grep -q 'debug: string-to-sign: POST&%2F&' "$work/err" || fail "--debug string-to-sign"
grep -q 'debug: < HTTP 200' "$work/err" || fail "--debug response"
no_secret "$work/out" "$work/err"
expect_status 0 ecs-call --debug --signature v3 DescribeRegions
no_secret "$work/out" "$work/err"

# --dry-run sends nothing and shows no secret
before=$(sent)
expect_status 0 ecs-call --dry-run --product vpc CreateVpc VpcName=x
grep -q '"Action": "CreateVpc"' "$work/out" || fail "--dry-run output"
no_secret "$work/out" "$work/err"
[ "$(sent)" = "$before" ] || fail "--dry-run sent a request"

# bad input: 64, nothing sent
before=$(sent)
expect_status 64 ecs-call
expect_status 64 ecs-call ''
expect_status 64 ecs-call DescribeRegions NoEquals
expect_status 64 ecs-call DescribeRegions =v
expect_status 64 ecs-call --endpoint 'ftp://127.0.0.1/' DescribeRegions
expect_status 64 ecs-call --endpoint 'not a url' DescribeRegions
expect_status 64 ecs-call DescribeRegions "$(printf 'Name=\377')"
expect_status 64 ecs-call --retries x DescribeRegions
expect_status 64 ecs-call --signature v2 DescribeRegions
expect_status 64 ecs-call --no-such-option DescribeRegions
expect_status 64 ecs-call 'Describe Regions'
[ "$(sent)" = "$before" ] || fail "bad input sent a request"

# 1: API error, message format
expect_status 1 ecs-call NoSuchAction
grep -qx 'ecs-call: NoSuchAction: InvalidParameter (HTTP 400): The specified action is not valid. \[RequestId req-x\]' "$work/err" || fail "API error text: $(cat "$work/err")"
# 75: throttled after retries (1 retry)
expect_status 75 ecs-call --retries 1 Throttle
[ "$(grep -c '^Throttle$' "$work/log")" = 2 ] || fail "throttle retried once"
# 77: wrong secret / unknown key
ALICLOUD_SECRET_KEY=wrong expect_status 77 ecs-call --retries 0 DescribeRegions
grep -q 'SignatureDoesNotMatch' "$work/err" || fail "77 message"
ALICLOUD_ACCESS_KEY=LTAInobody expect_status 77 ecs-call DescribeRegions
# 78: no credentials at all
(unset ALICLOUD_ACCESS_KEY ALICLOUD_SECRET_KEY ALICLOUD_SECURITY_TOKEN; expect_status 78 ecs-call DescribeRegions)
grep -q 'no credentials: looked at ALICLOUD_ACCESS_KEY' "$work/err" || fail "78 message"
# 78 is also a missing profile
expect_status 78 ecs-call --profile nope DescribeRegions
# 69: nothing listening
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
expect_status 69 ecs-call --retries 1 --timeout 5 DescribeRegions
no_secret "$work/out" "$work/err"
printf 'ok\n'
