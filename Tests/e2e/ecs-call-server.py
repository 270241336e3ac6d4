#!/usr/bin/env python3
"""A stand-in RPC endpoint for Tests/e2e/ecs-call.sh: verifies signature v1 (HMAC-SHA1)
and answers a few actions. Prints its port on stdout, logs each Action to argv[1]."""
import base64, hashlib, hmac, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

AK, SK = 'LTAI5tE2eKeyId', 'e2e-Secret/with+chars='
LOG = sys.argv[1]

def enc(s):
    return quote(s, safe='-_.~')

class H(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n).decode()
        p = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        p.update(parse_qsl(body, keep_blank_values=True))
        action = p.get('Action') or self.headers.get('x-acs-action') or ''
        with open(LOG, 'a') as f:
            f.write(action + '\n')
        if 'Signature' in p:
            if p.get('AccessKeyId') != AK:
                return self.reply(404, {'Code': 'InvalidAccessKeyId.NotFound', 'Message': 'Specified access key is not found.', 'RequestId': 'req-ak'})
            sig = p.pop('Signature')
            cq = '&'.join(enc(k) + '=' + enc(v) for k, v in sorted(p.items()))
            sts = 'POST&%2F&' + enc(cq)
            want = base64.b64encode(hmac.new((SK + '&').encode(), sts.encode(), hashlib.sha1).digest()).decode()
            if sig != want:
                return self.reply(400, {'Code': 'SignatureDoesNotMatch', 'Message': 'Specified signature is not matched with our calculation.', 'RequestId': 'req-sig'})
        elif not (self.headers.get('Authorization') or '').startswith('ACS3-HMAC-SHA256 Credential=' + AK + ','):
            return self.reply(400, {'Code': 'IncompleteSignature', 'Message': 'no signature', 'RequestId': 'req-v3'})
        if action == 'DescribeRegions':
            return self.reply(200, {'RequestId': 'req-1', 'Regions': {'Region': [{'RegionId': 'cn-hangzhou'}, {'RegionId': 'eu-central-1'}]}})
        if action == 'CreateVpc':
            return self.reply(200, {'RequestId': 'req-2', 'VpcId': 'vpc-e2e' + p.get('RegionId', '')})
        if action == 'DescribeVpcs':
            page = int(p.get('PageNumber', '1'))
            vpcs = [{'VpcId': 'vpc-%d' % i} for i in range((page - 1) * 2, min(page * 2, 3))]
            return self.reply(200, {'RequestId': 'req-p%d' % page, 'TotalCount': 3, 'PageNumber': page, 'PageSize': 2, 'Vpcs': {'Vpc': vpcs}})
        if action == 'Throttle':
            return self.reply(400, {'Code': 'Throttling.User', 'Message': 'Request was denied due to user flow control.', 'RequestId': 'req-t'})
        return self.reply(400, {'Code': 'InvalidParameter', 'Message': 'The specified action is not valid.', 'RequestId': 'req-x'})

srv = ThreadingHTTPServer(('127.0.0.1', 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
