#!/usr/bin/env python3
"""The official oss2 SDK, unchanged, against the emulator's OSS service.

usage: oss2-fidelity.py ENDPOINT WORKDIR   (e.g. http://127.0.0.1:PORT /tmp/x)
Exercises PutBucket, GetBucketInfo, PutObject, HeadObject, GetObject, resumable_upload
(multipart, parallel, with a checkpoint and oss2's own CRC-64 checks), DeleteObject and a
corrupted Content-MD5, with signature V1 and V4. Exit 0 only if every check passes.
"""
import hashlib
import os
import sys

import oss2
from oss2.credentials import StaticCredentialsProvider

endpoint, work = sys.argv[1], sys.argv[2]
ak = os.environ.get("ECS_SIM_ACCESS_KEY", "LTAI5tSimAccessKeyId01")
sk = os.environ.get("ECS_SIM_SECRET_KEY", "SimSecretKey0123456789abcdefXYZ")
os.makedirs(work, exist_ok=True)


def crc64(data):
    c = oss2.utils.Crc64()
    c.update(data)
    return c.crc


def check(cond, what):
    if not cond:
        print("oss2-fidelity: FAILED:", what, file=sys.stderr)
        sys.exit(1)
    print("ok", what)


for version in ("v1", "v4"):
    name = "fidelity-" + version
    if version == "v1":
        bucket = oss2.Bucket(oss2.Auth(ak, sk), endpoint, name, enable_crc=True)
    else:
        auth = oss2.ProviderAuthV4(StaticCredentialsProvider(ak, sk))
        bucket = oss2.Bucket(auth, endpoint, name, region="cn-hangzhou", enable_crc=True)
    bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE)
    info = bucket.get_bucket_info()
    check(info.location == "oss-cn-hangzhou", version + " GetBucketInfo location")

    body = os.urandom(300_000)
    r = bucket.put_object("small/a b.bin", body)
    check(r.etag == hashlib.md5(body).hexdigest().upper(), version + " PutObject ETag")
    check(r.crc == crc64(body), version + " PutObject CRC-64")
    head = bucket.head_object("small/a b.bin")
    check(head.content_length == len(body), version + " HeadObject size")
    check(bucket.get_object("small/a b.bin").read() == body, version + " GetObject bytes")

    big = os.path.join(work, "big-" + version + ".bin")
    with open(big, "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024 + 12345))
    store = oss2.ResumableStore(root=work)
    r = oss2.resumable_upload(bucket, "disk/big.raw", big, store=store, multipart_threshold=512 * 1024,
                              part_size=512 * 1024, num_threads=3)
    check(r.etag.endswith("-7"), version + " resumable_upload is multipart (" + r.etag + ")")
    with open(big, "rb") as f:
        data = f.read()
    check(bucket.get_object("disk/big.raw").read() == data, version + " resumable_upload bytes")
    check(int(bucket.head_object("disk/big.raw").headers["x-oss-hash-crc64ecma"]) == crc64(data),
          version + " whole-object CRC-64")

    try:
        bucket.put_object("bad", b"hello", headers={"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="})
        check(False, version + " corrupted Content-MD5 refused")
    except oss2.exceptions.ServerError as e:
        check(e.status == 400 and e.code == "InvalidDigest", version + " corrupted Content-MD5 -> InvalidDigest")

    try:
        oss2.Bucket(oss2.Auth(ak, "wrong"), endpoint, name).get_bucket_info()
        check(False, version + " wrong secret refused")
    except oss2.exceptions.ServerError as e:
        check(e.status == 403 and e.code == "SignatureDoesNotMatch", version + " wrong secret -> SignatureDoesNotMatch")

    for key in ("small/a b.bin", "disk/big.raw"):
        bucket.delete_object(key)
    check(not bucket.object_exists("disk/big.raw"), version + " DeleteObject")
print("oss2-fidelity: all checks passed")
