"""A researcher's boto3 flow against Granary. Usage: boto3_flow.py ENDPOINT_URL BUCKET MODE WORKDIR
MODE is "when_required" or "default" (request_checksum_calculation). Prints a JSON summary; any failed
assertion exits non-zero with the traceback."""
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket, mode, workdir = sys.argv[1:5]
cfg = Config(retries={"max_attempts": 1}, max_pool_connections=32, s3={"addressing_style": "path"})
if mode == "when_required":
    cfg = cfg.merge(Config(request_checksum_calculation="when_required", response_checksum_validation="when_required"))
s3 = boto3.client("s3", endpoint_url=endpoint,
                  aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                  region_name="us-east-1", config=cfg)
summary = {"mode": mode}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")


s3.create_bucket(Bucket=bucket)
s3.create_bucket(Bucket=bucket)  # your own bucket again: 200 in us-east-1, as on AWS
assert any(b["Name"] == bucket for b in s3.list_buckets()["Buckets"])
s3.head_bucket(Bucket=bucket)

# put / get / head with metadata
body = os.urandom(70_000)
put = s3.put_object(Bucket=bucket, Key="dir/a b+c ü.bin", Body=body, ContentType="application/x-test",
                    Metadata={"Origin": "Beamline 7", "k": "V"})
assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put["ETag"]
got = s3.get_object(Bucket=bucket, Key="dir/a b+c ü.bin")
data = got["Body"].read()
assert sha(data) == sha(body)
assert got["ContentType"] == "application/x-test"
assert got["Metadata"] == {"origin": "Beamline 7", "k": "V"}, got["Metadata"]
head = s3.head_object(Bucket=bucket, Key="dir/a b+c ü.bin")
assert head["ContentLength"] == len(body)
rng = s3.get_object(Bucket=bucket, Key="dir/a b+c ü.bin", Range="bytes=100-199")["Body"].read()
assert rng == body[100:200]
assert error_code(lambda: s3.get_object(Bucket=bucket, Key="missing")) == ("NoSuchKey", 404)
assert error_code(lambda: s3.head_object(Bucket=bucket, Key="missing"))[1] == 404
s3.put_object(Bucket=bucket, Key="md5", Body=b"hello", ContentMD5="XUFAKrxLKna5cZ2REBfFkg==")
assert error_code(lambda: s3.put_object(Bucket=bucket, Key="md5bad", Body=b"hellx",
                                        ContentMD5="XUFAKrxLKna5cZ2REBfFkg==")) == ("BadDigest", 400)

listed = s3.list_objects_v2(Bucket=bucket, Prefix="dir/")
assert [o["Key"] for o in listed["Contents"]] == ["dir/a b+c ü.bin"]
s3.delete_object(Bucket=bucket, Key="dir/a b+c ü.bin")
s3.delete_object(Bucket=bucket, Key="dir/a b+c ü.bin")  # missing: still fine
assert error_code(lambda: s3.head_object(Bucket=bucket, Key="dir/a b+c ü.bin"))[1] == 404

# upload_file / download_file (3 MiB: single part)
src = os.path.join(workdir, "src.bin")
dst = os.path.join(workdir, "dst.bin")
payload = os.urandom(3 * 1024 * 1024)
with open(src, "wb") as f:
    f.write(payload)
s3.upload_file(src, bucket, "files/three MiB.bin")
s3.download_file(bucket, "files/three MiB.bin", dst)
with open(dst, "rb") as f:
    assert sha(f.read()) == sha(payload)
summary["upload_sha256"] = sha(payload)

# presigned GET and PUT, used with plain urllib. botocore presigns with SigV2 query auth unless told
# signature_version="s3v4"; Granary speaks SigV4 only (the SigV2 default is checked separately below).
s3v4 = boto3.client("s3", endpoint_url=endpoint,
                    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
                    region_name="us-east-1", config=cfg.merge(Config(signature_version="s3v4")))
url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "files/three MiB.bin"}, ExpiresIn=300)
with urllib.request.urlopen(url) as r:
    assert r.status == 200
    assert sha(r.read()) == sha(payload)
put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned/put ü.txt"}, ExpiresIn=300)
req = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
with urllib.request.urlopen(req) as r:
    assert r.status == 200
assert s3.get_object(Bucket=bucket, Key="presigned/put ü.txt")["Body"].read() == b"presigned body"
bad = url.replace("Signature=", "Signature=0")
try:
    urllib.request.urlopen(bad)
    raise AssertionError("tampered presigned URL worked")
except urllib.error.HTTPError as e:
    assert e.code == 403, e.code

# The default (SigV2) presigned GET, as a user following CLIENTS.md gets it.
v2url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "files/three MiB.bin"}, ExpiresIn=300)
try:
    with urllib.request.urlopen(v2url) as r:
        summary["default_presign"] = "ok" if sha(r.read()) == sha(payload) else "wrong-bytes"
except urllib.error.HTTPError as e:
    summary["default_presign"] = "HTTP %d %s" % (e.code, e.read()[:300].decode("utf8", "replace"))

# 1,200 keys, paginated
keys = ["many/%05d" % i for i in range(1200)]
with ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
seen = []
pages = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="many/"):
    pages += 1
    seen.extend(o["Key"] for o in page.get("Contents", []))
assert seen == keys, (len(seen), seen[:3])
assert pages == 2, pages
summary["listed"] = len(seen)
seen_v1 = []
for page in s3.get_paginator("list_objects").paginate(Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 500}):
    seen_v1.extend(o["Key"] for o in page.get("Contents", []))
assert seen_v1 == keys

# delete_objects in batches of 1000, one quiet
res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:1000]]})
assert len(res.get("Deleted", [])) == 1000 and not res.get("Errors")
res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[1000:]], "Quiet": True})
assert not res.get("Deleted") and not res.get("Errors")
rest = s3.list_objects_v2(Bucket=bucket)
left = sorted(o["Key"] for o in rest.get("Contents", []))
assert left == ["files/three MiB.bin", "md5", "presigned/put ü.txt"], left
s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in left]})
s3.delete_bucket(Bucket=bucket)
assert error_code(lambda: s3.head_bucket(Bucket=bucket))[1] == 404
summary["ok"] = True
print(json.dumps(summary))
