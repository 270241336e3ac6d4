#!/usr/bin/env python3
"""Signs and sends one RPC call (SignatureVersion 1.0) to ecs-sim, for shell tests.

Usage: ecs-sim-call.py [--version V] [--proxy] [--nonce N] [--timestamp T] ACTION [Name=Value ...]
Endpoint and keys from ALICLOUD_ENDPOINT, ALICLOUD_ACCESS_KEY, ALICLOUD_SECRET_KEY; RegionId from
ALICLOUD_REGION unless given. Prints "STATUS BODY" on stdout. --proxy sends an absolute-form
request (http://ecs-cn-hangzhou.aliyuncs.com/?...) to the endpoint as an HTTP proxy.
"""
import base64, datetime, hashlib, hmac, http.client, os, sys, urllib.parse, uuid

args = sys.argv[1:]
version, proxy, nonce, stamp = "2014-05-26", False, None, None
while args and args[0].startswith("--"):
    opt = args.pop(0)
    if opt == "--version": version = args.pop(0)
    elif opt == "--proxy": proxy = True
    elif opt == "--nonce": nonce = args.pop(0)
    elif opt == "--timestamp": stamp = args.pop(0)
action = args.pop(0)
params = {
    "Action": action, "Version": version, "Format": "JSON", "AccessKeyId": os.environ["ALICLOUD_ACCESS_KEY"],
    "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "SignatureNonce": nonce or uuid.uuid4().hex,
    "Timestamp": stamp or datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    "RegionId": os.environ.get("ALICLOUD_REGION", "cn-hangzhou"),
}
for a in args:
    k, v = a.split("=", 1)
    params[k] = v
enc = lambda s: urllib.parse.quote(s, safe="-_.~")
cq = "&".join(enc(k) + "=" + enc(v) for k, v in sorted(params.items()))
sts = "POST&%2F&" + enc(cq)
key = (os.environ["ALICLOUD_SECRET_KEY"] + "&").encode()
params["Signature"] = base64.b64encode(hmac.new(key, sts.encode(), hashlib.sha1).digest()).decode()
query = "&".join(enc(k) + "=" + enc(v) for k, v in params.items())
url = urllib.parse.urlparse(os.environ["ALICLOUD_ENDPOINT"])
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
target = ("http://ecs-cn-hangzhou.aliyuncs.com/?" if proxy else "/?") + query
headers = {"Content-Type": "application/x-www-form-urlencoded"}
if proxy: headers["Host"] = "ecs-cn-hangzhou.aliyuncs.com"
conn.request("POST", target, body=b"", headers=headers)
r = conn.getresponse()
print(r.status, r.read().decode())
