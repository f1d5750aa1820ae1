"""xarray -> Zarr in a bucket through the docs' boto3-backed store, read back equal; then the bucket made
public with a bucket policy and the store read anonymously with fsspec's HTTP filesystem.
Run with Debian's /usr/bin/python3. Env: COMPAT_STORE, COMPAT_POLICY, COMPAT_PUBLIC (filled snippets),
COMPAT_BUCKET. Host names under .localhost resolve to 127.0.0.1 here (no DNS in tests)."""
import os
import socket

import numpy as np
import xarray as xr

_gai = socket.getaddrinfo
def _loopback(host, *a, **k):
    if isinstance(host, str) and host.endswith(".localhost"):
        host = "127.0.0.1"
    return _gai(host, *a, **k)
socket.getaddrinfo = _loopback

bucket = os.environ["COMPAT_BUCKET"]
ns = {}
exec(os.environ["COMPAT_STORE"], ns)
s3, store = ns["s3"], ns["store"]
s3.create_bucket(Bucket=bucket)

ds = xr.Dataset(
    {"air": (("time", "lat", "lon"), np.random.default_rng(1).normal(280, 5, (24, 30, 40)).astype("float32")),
     "mask": (("lat", "lon"), np.arange(1200).reshape(30, 40) % 3 == 0)},
    coords={"time": np.arange("2024-01-01T00", "2024-01-02T00", dtype="datetime64[h]"),
            "lat": np.linspace(-30, 30, 30), "lon": np.linspace(0, 100, 40)},
    attrs={"title": "Granary compat ü & + test"},
)
# Several chunks per variable (no dask needed: chunking by encoding).
ds.to_zarr(store=store, mode="w", consolidated=True, encoding={"air": {"chunks": (6, 15, 20)}})
back = xr.open_zarr(store, consolidated=True).load()
xr.testing.assert_identical(back, ds)
assert len(store) > 20, len(store)

s3.put_bucket_policy(Bucket=bucket, Policy=os.environ["COMPAT_POLICY"])
pns = {}
exec(os.environ["COMPAT_PUBLIC"], pns)
public = pns["public"].load()
xr.testing.assert_identical(public, ds)
print("ok")
