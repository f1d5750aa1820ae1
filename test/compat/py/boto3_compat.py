"""boto3 against Granary, with the client built by a docs snippet.
Usage: boto3_compat.py MODE BUCKET WORKDIR  with the filled snippet in the environment as COMPAT_SNIPPET
(and COMPAT_CA for a private CA). MODE "main": awkward keys, 2,000-entry listing, upload_file/download_file,
presigned GET and PUT, delete_objects. MODE "post": a presigned POST (browser form upload).
Any failed assertion exits non-zero with the traceback."""
import hashlib
import json
import os
import sys

import requests
import uuid
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


def fetch(url, method="GET", data=None, headers=None):
    # requests, as users do (urllib would add a Content-Type that the signature did not cover).
    r = requests.request(method, url, data=data, headers=headers or {}, verify=ca or True)
    if r.status_code >= 300:
        raise AssertionError(f"{method} {url} -> {r.status_code}: {r.text}")
    return r.status_code, r.content


s3.create_bucket(Bucket=bucket)

if mode == "main":
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
    v2 = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=many[0].split("/")[0] + "/") for o in p.get("Contents", [])]
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

    # delete_objects in batches of 1,000, then the bucket.
    for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        objs = [{"Key": o["Key"]} for o in p.get("Contents", [])]
        if objs:
            r = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})
            assert not r.get("Errors"), r["Errors"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
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
