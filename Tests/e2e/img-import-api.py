#!/usr/bin/env python3
"""A stand-in ECS/RAM endpoint for Tests/e2e/img-import.sh until ecs-sim imports images:
answers DescribeImages, GetRole, ImportImage (the object must exist in the OSS store under
ROOT), TagResources and DeleteImage, and logs every action to ROOT/api.log.
It does not check signatures (Tests/e2e/ecs-call.sh covers signing).
usage: img-import-api.py ROOT PORTFILE"""
import hashlib
import json
import os
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root, portfile = sys.argv[1], sys.argv[2]
images = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_params(self, p):
        action = p.get("Action", "")
        with open(os.path.join(root, "api.log"), "a") as log:
            log.write(json.dumps(p, sort_keys=True) + "\n")
        if action == "GetRole":
            return self.answer(200, {"RequestId": "r", "Role": {"RoleName": p.get("RoleName")}})
        if action == "DescribeImages":
            found = [i for i in images.values()
                     if p.get("ImageName") in (None, i["ImageName"]) and p.get("ImageId") in (None, i["ImageId"])]
            return self.answer(200, {"RequestId": "r", "Images": {"Image": found}, "TotalCount": len(found)})
        if action == "ImportImage":
            b, k = p["DiskDeviceMapping.1.OSSBucket"], p["DiskDeviceMapping.1.OSSObject"]
            data = os.path.join(root, "oss", b, "objects", hashlib.sha256(k.encode()).hexdigest() + ".data")
            if not os.path.exists(data):
                return self.answer(404, {"RequestId": "r", "Code": "InvalidOSSObject.NotFound", "Message": k})
            iid = "m-e2e%d" % (len(images) + 1)
            images[iid] = {"ImageId": iid, "ImageName": p["ImageName"], "Status": "Available", "Progress": "100%",
                           "DiskDeviceMappings": {"DiskDeviceMapping": [{"SnapshotId": "s-" + iid}]}}
            return self.answer(200, {"RequestId": "r", "ImageId": iid, "TaskId": "t-" + iid, "RegionId": p["RegionId"]})
        if action in ("TagResources", "DeleteImage"):
            images.pop(p.get("ImageId", ""), None)
            return self.answer(200, {"RequestId": "r"})
        return self.answer(400, {"RequestId": "r", "Code": "InvalidAction.NotFound", "Message": action})

    def do_GET(self):
        q = urllib.parse.urlsplit(self.path).query
        self.handle_params(dict(urllib.parse.parse_qsl(q)))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        p = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        p.update(urllib.parse.parse_qsl(body))
        self.handle_params(p)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
