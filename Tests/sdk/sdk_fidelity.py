#!/usr/bin/env python3
"""SDK fidelity: the official Python SDKs, pointed at ecs-sim, create and delete a VPC, VSwitch,
security group, key pair and instance, and parse every response.

Usage: sdk_fidelity.py ENDPOINT_URL   (credentials from ALICLOUD_ACCESS_KEY / ALICLOUD_SECRET_KEY)
Exits 0 when every check passed; prints one line per failed check otherwise.
"""
import json
import os
import sys
import time
import urllib.request

from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526 import (
    DescribeRegionsRequest, DescribeZonesRequest, DescribeImagesRequest, CreateKeyPairRequest, DeleteKeyPairsRequest,
    CreateSecurityGroupRequest, AuthorizeSecurityGroupRequest, DeleteSecurityGroupRequest, CreateInstanceRequest,
    DescribeInstancesRequest, DescribeInstanceAttributeRequest, StartInstanceRequest, StopInstanceRequest, DeleteInstanceRequest,
    AttachKeyPairRequest, DetachKeyPairRequest, CreateImageRequest, DeleteImageRequest, DescribeKeyPairsRequest,
)

URL = sys.argv[1]
HOSTPORT = URL.split("://", 1)[1].rstrip("/")
AK = os.environ["ALICLOUD_ACCESS_KEY"]
SK = os.environ["ALICLOUD_SECRET_KEY"]
REGION = "cn-hangzhou"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


client = AcsClient(AK, SK, REGION, auto_retry=False)


def call(req):
    req.set_endpoint(HOSTPORT)
    req.set_protocol_type("http")
    req.set_accept_format("json")
    return json.loads(client.do_action_with_exception(req))


def common(product, version, action, **params):
    r = CommonRequest()
    r.set_domain(HOSTPORT)
    r.set_version(version)
    r.set_action_name(action)
    r.set_product(product)
    r.set_method("POST")
    r.set_protocol_type("http")
    r.set_accept_format("json")
    r.add_query_param("RegionId", REGION)
    for k, v in params.items():
        r.add_query_param(k, v)
    return json.loads(client.do_action_with_exception(r))


def wait(fn, want, what, timeout=20):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last == want:
            return True
        time.sleep(0.1)
    check(False, "%s: still %r, wanted %r" % (what, last, want))
    return False


# --- aliyun-python-sdk-core + aliyun-python-sdk-ecs (RPC signature v1) ---
regions = call(DescribeRegionsRequest.DescribeRegionsRequest())
check(any(r["RegionId"] == REGION for r in regions["Regions"]["Region"]), "DescribeRegions lists cn-hangzhou")
zones = call(DescribeZonesRequest.DescribeZonesRequest())["Zones"]["Zone"]
zone = zones[-1]["ZoneId"]
check("VSwitch" in zones[-1]["AvailableResourceCreation"]["ResourceTypes"], "DescribeZones offers VSwitch")
req = DescribeImagesRequest.DescribeImagesRequest()
req.set_ImageId("centos_7_03_64_20G_alibase_20170818.vhd")
imgs = call(req)
check(imgs["TotalCount"] == 1 and imgs["Images"]["Image"][0]["Status"] == "Available", "DescribeImages finds the seed's CentOS image")

vpc = common("Vpc", "2016-04-28", "CreateVpc", CidrBlock="172.16.0.0/12", VpcName="sdk-vpc", ClientToken="sdk-vpc-token")
vpc_id = vpc["VpcId"]
again = common("Vpc", "2016-04-28", "CreateVpc", CidrBlock="172.16.0.0/12", VpcName="sdk-vpc", ClientToken="sdk-vpc-token")
check(again["VpcId"] == vpc_id, "ClientToken replay returns the first VpcId")
wait(lambda: common("Vpc", "2016-04-28", "DescribeVpcs", VpcId=vpc_id)["Vpcs"]["Vpc"][0]["Status"], "Available", "VPC")
vsw_id = common("Vpc", "2016-04-28", "CreateVSwitch", VpcId=vpc_id, ZoneId=zone, CidrBlock="172.16.0.0/24", VSwitchName="sdk-vsw")["VSwitchId"]
wait(lambda: common("Vpc", "2016-04-28", "DescribeVSwitches", VSwitchId=vsw_id)["VSwitches"]["VSwitch"][0]["Status"], "Available", "VSwitch")

req = CreateSecurityGroupRequest.CreateSecurityGroupRequest()
req.set_VpcId(vpc_id)
req.set_SecurityGroupName("sdk-sg")
sg_id = call(req)["SecurityGroupId"]
req = AuthorizeSecurityGroupRequest.AuthorizeSecurityGroupRequest()
req.set_SecurityGroupId(sg_id)
req.set_IpProtocol("tcp")
req.set_PortRange("22/22")
req.set_SourceCidrIp("127.0.0.0/8")
call(req)

req = CreateKeyPairRequest.CreateKeyPairRequest()
req.set_KeyPairName("sdk-key")
kp = call(req)
check(kp["PrivateKeyBody"].startswith("-----BEGIN RSA PRIVATE KEY-----"), "CreateKeyPair returns a PEM RSA private key")
check(kp["KeyPairName"] == "sdk-key" and kp["KeyPairFingerPrint"], "CreateKeyPair returns name and fingerprint")
req = DescribeKeyPairsRequest.DescribeKeyPairsRequest()
req.set_KeyPairName("sdk-key")
check(call(req)["TotalCount"] == 1, "DescribeKeyPairs finds the key pair")

req = CreateInstanceRequest.CreateInstanceRequest()
req.set_ImageId("centos_7_03_64_20G_alibase_20170818.vhd")
req.set_InstanceType("ecs.t5-lc1m1.small")
req.set_SecurityGroupId(sg_id)
req.set_VSwitchId(vsw_id)
req.set_InstanceName("sdk-instance")
req.set_ClientToken("sdk-instance-token")
inst_id = call(req)["InstanceId"]


def status():
    req = DescribeInstancesRequest.DescribeInstancesRequest()
    req.set_InstanceIds(json.dumps([inst_id]))
    return call(req)["Instances"]["Instance"][0]["Status"]


wait(status, "Stopped", "instance after CreateInstance")
req = AttachKeyPairRequest.AttachKeyPairRequest()
req.set_KeyPairName("sdk-key")
req.set_InstanceIds(json.dumps([inst_id]))
res = call(req)
check(res["Results"]["Result"][0]["Success"] == "true", "AttachKeyPair succeeds")
req = StartInstanceRequest.StartInstanceRequest()
req.set_InstanceId(inst_id)
call(req)
wait(status, "Running", "instance after StartInstance")
try:
    call(req)
    check(False, "StartInstance on a running instance must fail")
except ServerException as e:
    check(e.get_error_code() == "IncorrectInstanceStatus", "StartInstance twice: IncorrectInstanceStatus, got %s" % e.get_error_code())
req = DescribeInstanceAttributeRequest.DescribeInstanceAttributeRequest()
req.set_InstanceId(inst_id)
attr = call(req)
check(attr["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0].startswith("127."), "the private IP is a loopback address")
req = StopInstanceRequest.StopInstanceRequest()
req.set_InstanceId(inst_id)
call(req)
wait(status, "Stopped", "instance after StopInstance")

req = CreateImageRequest.CreateImageRequest()
req.set_InstanceId(inst_id)
req.set_ImageName("sdk-image-1")
image_id = call(req)["ImageId"]


def image_status():
    r = DescribeImagesRequest.DescribeImagesRequest()
    r.set_ImageId(image_id)
    r.set_Status("Creating,Waiting,Available,UnAvailable,CreateFailed")
    return call(r)["Images"]["Image"][0]["Status"]


wait(image_status, "Available", "image")

try:
    common("Vpc", "2016-04-28", "DeleteVpc", VpcId=vpc_id)
    check(False, "DeleteVpc with a VSwitch must fail")
except ServerException as e:
    check(e.get_error_code().startswith("DependencyViolation"), "DeleteVpc too early: DependencyViolation, got %s" % e.get_error_code())

req = DetachKeyPairRequest.DetachKeyPairRequest()
req.set_KeyPairName("sdk-key")
req.set_InstanceIds(json.dumps([inst_id]))
call(req)
req = DeleteInstanceRequest.DeleteInstanceRequest()
req.set_InstanceId(inst_id)
req.set_Force(True)
call(req)
req = DeleteSecurityGroupRequest.DeleteSecurityGroupRequest()
req.set_SecurityGroupId(sg_id)
call(req)
common("Vpc", "2016-04-28", "DeleteVSwitch", VSwitchId=vsw_id)
common("Vpc", "2016-04-28", "DeleteVpc", VpcId=vpc_id)
req = DeleteKeyPairsRequest.DeleteKeyPairsRequest()
req.set_KeyPairNames(json.dumps(["sdk-key"]))
call(req)

# Errors as the SDK sees them.
bad = AcsClient("LTAI5tNoSuchKey", SK, REGION, auto_retry=False)
try:
    r = DescribeRegionsRequest.DescribeRegionsRequest()
    r.set_endpoint(HOSTPORT)
    r.set_protocol_type("http")
    bad.do_action_with_exception(r)
    check(False, "an unknown AccessKey must be rejected")
except ServerException as e:
    check(e.get_error_code() == "InvalidAccessKeyId.NotFound" and e.get_http_status() == 404, "unknown key: %s %s" % (e.get_http_status(), e.get_error_code()))
wrong = AcsClient(AK, SK + "x", REGION, auto_retry=False)
try:
    r = DescribeRegionsRequest.DescribeRegionsRequest()
    r.set_endpoint(HOSTPORT)
    r.set_protocol_type("http")
    wrong.do_action_with_exception(r)
    check(False, "a wrong secret must be rejected")
except ServerException as e:
    # aliyunsdkcore turns SignatureDoesNotMatch into InvalidAccessKeySecret only when the server's
    # echoed string to sign equals its own: proof that ecs-sim canonicalises exactly as the SDK.
    check(e.get_error_code() == "InvalidAccessKeySecret" and e.get_http_status() == 400, "wrong secret: %s %s" % (e.get_http_status(), e.get_error_code()))

# --- alibabacloud-ecs20140526 (tea-openapi, ACS3-HMAC-SHA256 V3 signature) ---
from alibabacloud_ecs20140526.client import Client as EcsClient
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_tea_openapi import models as open_api_models

tea = EcsClient(open_api_models.Config(access_key_id=AK, access_key_secret=SK, endpoint=HOSTPORT, protocol="http", region_id=REGION))
resp = tea.describe_regions(ecs_models.DescribeRegionsRequest())
check(any(r.region_id == REGION for r in resp.body.regions.region), "tea DescribeRegions")
sg2 = tea.create_security_group(ecs_models.CreateSecurityGroupRequest(region_id=REGION, security_group_name="tea-sg")).body.security_group_id
check(sg2.startswith("sg-"), "tea CreateSecurityGroup returns an id")
kp2 = tea.create_key_pair(ecs_models.CreateKeyPairRequest(region_id=REGION, key_pair_name="tea-key")).body
check("PRIVATE KEY" in kp2.private_key_body, "tea CreateKeyPair returns the private key")
images = tea.describe_images(ecs_models.DescribeImagesRequest(region_id=REGION, image_owner_alias="system", page_size=100)).body
check(images.total_count >= 3 and any(i.image_id.startswith("ubuntu") for i in images.images.image), "tea DescribeImages lists system images")
insts = tea.describe_instances(ecs_models.DescribeInstancesRequest(region_id=REGION)).body
check(insts.total_count == 0, "tea DescribeInstances: no instance left")
tea.delete_key_pairs(ecs_models.DeleteKeyPairsRequest(region_id=REGION, key_pair_names=json.dumps(["tea-key"])))
tea.delete_security_group(ecs_models.DeleteSecurityGroupRequest(region_id=REGION, security_group_id=sg2))

# Nothing temporary may be left.
dump = json.loads(urllib.request.urlopen(URL + "/__sim/dump").read())
check(dump["temporaryCount"] == 0, "no temporary resource left: %r" % dump["temporary"])
check(dump["requests"].get("CreateInstance") == 1, "the dump counts requests per action")
img = [i for i in dump["resources"]["images"] if i["id"] == image_id]
check(len(img) == 1, "the image remains")

if failures:
    print("sdk-fidelity: %d check(s) failed" % len(failures), file=sys.stderr)
    sys.exit(1)
print("sdk-fidelity: ok")
