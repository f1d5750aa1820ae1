"""boto3 against Granary, with the client built by a docs snippet.
Usage: boto3_compat.py MODE BUCKET WORKDIR  with the filled snippet in the environment as COMPAT_SNIPPET,
the key as COMPAT_AK / COMPAT_SK (for a second, s3v4-presigning client) and COMPAT_CA for a private CA.
MODE "main": a researcher's everyday calls (your own bucket again, metadata, ranges, errors, Content-MD5,
a single-part upload_file), awkward keys, a 2,000-entry listing, upload_file/download_file (multipart),
presigned GET and PUT (default and s3v4, a tampered one refused), delete_objects.
MODE "post": a presigned POST (browser form upload). Any failed assertion exits non-zero with the traceback."""
import hashlib
import json
import os
import sys

import boto3
import requests
import uuid
from botocore.config import Config
from botocore.exceptions import ClientError
from concurrent.futures import ThreadPoolExecutor

mode, bucket, workdir = sys.argv[1:4]
ns = {}
exec(os.environ["COMPAT_SNIPPET"], ns)
s3 = ns["s3"]
ca = os.environ.get("COMPAT_CA")
awkward = json.loads(os.environ["COMPAT_AWKWARD"])  # key -> text
many = json.loads(os.environ["COMPAT_MANY"])  # keys
out = {}


def sha(b):
    return hashlib.sha256(b).hexdigest()


def error_code(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("expected an error")


def fetch(url, method="GET", data=None, headers=None):
    # requests, as users do (urllib would add a Content-Type that the signature did not cover).
    r = requests.request(method, url, data=data, headers=headers or {}, verify=ca or True)
    if r.status_code >= 300:
        raise AssertionError(f"{method} {url} -> {r.status_code}: {r.text}")
    return r.status_code, r.content


s3.create_bucket(Bucket=bucket)

if mode == "main":
    # A researcher's everyday calls.
    s3.create_bucket(Bucket=bucket)  # your own bucket again: 200 in us-east-1, as on AWS
    assert any(b["Name"] == bucket for b in s3.list_buckets()["Buckets"])
    s3.head_bucket(Bucket=bucket)
    body = os.urandom(70_000)
    put = s3.put_object(Bucket=bucket, Key="dir/a b+c ü.bin", Body=body, ContentType="application/x-test",
                        Metadata={"Origin": "Beamline 7", "k": "V"})
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(), put["ETag"]
    got = s3.get_object(Bucket=bucket, Key="dir/a b+c ü.bin")
    assert sha(got["Body"].read()) == sha(body)
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"origin": "Beamline 7", "k": "V"}, got["Metadata"]
    assert s3.head_object(Bucket=bucket, Key="dir/a b+c ü.bin")["ContentLength"] == len(body)
    assert s3.get_object(Bucket=bucket, Key="dir/a b+c ü.bin", Range="bytes=100-199")["Body"].read() == body[100:200]
    assert error_code(lambda: s3.get_object(Bucket=bucket, Key="missing")) == ("NoSuchKey", 404)
    assert error_code(lambda: s3.head_object(Bucket=bucket, Key="missing"))[1] == 404
    s3.put_object(Bucket=bucket, Key="md5", Body=b"hello", ContentMD5="XUFAKrxLKna5cZ2REBfFkg==")
    assert error_code(lambda: s3.put_object(Bucket=bucket, Key="md5bad", Body=b"hellx",
                                            ContentMD5="XUFAKrxLKna5cZ2REBfFkg==")) == ("BadDigest", 400)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="dir/")["Contents"]] == ["dir/a b+c ü.bin"]
    s3.delete_object(Bucket=bucket, Key="dir/a b+c ü.bin")
    s3.delete_object(Bucket=bucket, Key="dir/a b+c ü.bin")  # missing: still fine
    assert error_code(lambda: s3.head_object(Bucket=bucket, Key="dir/a b+c ü.bin"))[1] == 404
    # upload_file / download_file of 3 MiB: a single part.
    payload = os.urandom(3 * 1024 * 1024)
    with open(os.path.join(workdir, "three.bin"), "wb") as f:
        f.write(payload)
    s3.upload_file(os.path.join(workdir, "three.bin"), bucket, "files/three MiB.bin")
    s3.download_file(bucket, "files/three MiB.bin", os.path.join(workdir, "three.back"))
    with open(os.path.join(workdir, "three.back"), "rb") as f:
        assert sha(f.read()) == sha(payload)
    # Presigned with SigV4 as asked (signature_version="s3v4"), used with plain requests; tampered: 403.
    s3v4 = boto3.client("s3", endpoint_url=s3.meta.endpoint_url, region_name=s3.meta.region_name,
                        aws_access_key_id=os.environ["COMPAT_AK"], aws_secret_access_key=os.environ["COMPAT_SK"],
                        verify=ca or None, config=s3.meta.config.merge(Config(signature_version="s3v4")))
    url = s3v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "files/three MiB.bin"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url, url
    st, data = fetch(url)
    assert st == 200 and sha(data) == sha(payload)
    put_url = s3v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned/put ü.txt"}, ExpiresIn=300)
    assert fetch(put_url, "PUT", b"presigned body")[0] == 200
    assert s3.get_object(Bucket=bucket, Key="presigned/put ü.txt")["Body"].read() == b"presigned body"
    bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.get(bad, verify=ca or True).status_code == 403
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("md5", "files/three MiB.bin", "presigned/put ü.txt")]})

    for k, v in awkward.items():
        s3.put_object(Bucket=bucket, Key="awk/" + k, Body=v.encode())
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="awk/") for o in p.get("Contents", [])]
    assert sorted(keys) == sorted("awk/" + k for k in awkward), keys
    for k, v in awkward.items():
        assert s3.get_object(Bucket=bucket, Key="awk/" + k)["Body"].read() == v.encode(), k
        assert s3.head_object(Bucket=bucket, Key="awk/" + k)["ContentLength"] == len(v.encode())
    # copy_object with an awkward source key
    src = "awk/" + list(awkward)[1]
    s3.copy_object(Bucket=bucket, Key="copied/" + src, CopySource={"Bucket": bucket, "Key": src})
    assert s3.get_object(Bucket=bucket, Key="copied/" + src)["Body"].read() == awkward[list(awkward)[1]].encode()

    # 2,000 entries, paged listing (v2 and v1) complete.
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), many))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=many[0].split("/")[0] + "/"))
    assert len(pages) == 2, len(pages)  # 1,000 keys a page
    v2 = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert v2 == sorted(many, key=lambda k: k.encode()), (len(v2), len(many))
    v1 = [o["Key"] for p in s3.get_paginator("list_objects").paginate(Bucket=bucket, Prefix=many[0].split("/")[0] + "/", PaginationConfig={"PageSize": 700}) for o in p.get("Contents", [])]
    assert len(v1) == len(many), len(v1)

    # upload_file / download_file: multipart with threads, ranged GETs.
    big = os.urandom(23 * 1024 * 1024 + 17)
    with open(os.path.join(workdir, "big.bin"), "wb") as f:
        f.write(big)
    from boto3.s3.transfer import TransferConfig
    tc = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4)
    s3.upload_file(os.path.join(workdir, "big.bin"), bucket, "big/ü file+1.bin", Config=tc)
    etag = s3.head_object(Bucket=bucket, Key="big/ü file+1.bin")["ETag"]
    assert etag.endswith('-3"'), etag
    s3.download_file(bucket, "big/ü file+1.bin", os.path.join(workdir, "big.back"), Config=tc)
    with open(os.path.join(workdir, "big.back"), "rb") as f:
        assert sha(f.read()) == sha(big)

    # Presigned GET and PUT, awkward keys.
    for k, v in awkward.items():
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "awk/" + k}, ExpiresIn=600)
        st, body = fetch(url)
        assert st == 200 and body == v.encode(), (k, st, body)
    pkey = "presigned put/a+b&c %2F ü.txt"
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": pkey}, ExpiresIn=600)
    st, _ = fetch(url, "PUT", b"put through a presigned URL")
    assert st == 200, st
    assert s3.get_object(Bucket=bucket, Key=pkey)["Body"].read() == b"put through a presigned URL"

    # delete_objects in batches of 1,000 (the first telling each key deleted, the rest quiet), then the bucket.
    quiet = False
    for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objs = [{"Key": o["Key"]} for o in p.get("Contents", [])]
        if objs:
            r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": quiet})
            assert not r.get("Errors"), r["Errors"]
            assert len(r.get("Deleted", [])) == (0 if quiet else len(objs)), (quiet, len(r.get("Deleted", [])))
            quiet = True
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
    assert error_code(lambda: s3.head_bucket(Bucket=bucket))[1] == 404
    out["ok"] = True

elif mode == "post":
    post = s3.generate_presigned_post(bucket, "form uploads/${filename}", Fields={"success_action_status": "201"},
                                      Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 10_000]], ExpiresIn=600)
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in post["fields"].items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ü a+b.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode("utf-8"))
    parts.append(b"uploaded by a browser form\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    st, body = fetch(post["url"], "POST", b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert st == 201, (st, body)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["form uploads/ü a+b.txt"], f"POST answered {st} {body!r}; the bucket holds {keys}"
    got = s3.get_object(Bucket=bucket, Key="form uploads/ü a+b.txt")["Body"].read()
    assert got == b"uploaded by a browser form", got
    out["ok"] = True

print(json.dumps(out))
