#!/usr/bin/env bash
# Installs the programs the test suite drives (Debian packages): the real S3 clients researchers use.
# Needs root (CI runs as root); skips apt when everything is already there.
set -euo pipefail
need=()
command -v s3cmd >/dev/null || need+=(s3cmd)
command -v rclone >/dev/null || need+=(rclone)
[ -x /usr/bin/aws ] || need+=(awscli)
# The compatibility suite (test/compat): s3fs-fuse, Debian's xarray/zarr/fsspec stack for /usr/bin/python3,
# and the Go library the MinIO client is built on (GOPATH mode, no network).
command -v s3fs >/dev/null || need+=(s3fs)
for m in xarray:python3-xarray zarr:python3-zarr boto3:python3-boto3 fsspec:python3-fsspec aiohttp:python3-aiohttp netCDF4:python3-netcdf4; do
  /usr/bin/python3 -c "import ${m%%:*}" 2>/dev/null || need+=("${m#*:}")
done
[ -x /usr/bin/go ] || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/minio/minio-go/v7 ] || need+=(golang-github-minio-minio-go-v7-dev)
# OpenLDAP for the LDAP directory tests (they start their own slapd; ldapmodify changes its entries).
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapmodify >/dev/null || need+=(ldap-utils)
# A real SMTP server for the mail notice tests (test/helpers/smtp.ts starts it on a loopback port).
/usr/bin/python3 -c "import aiosmtpd" 2>/dev/null || need+=(python3-aiosmtpd)
# Debian's Chromium for the portal's end-to-end tests (test/e2e, playwright-core; never a downloaded browser).
command -v chromium >/dev/null || need+=(chromium)
# HAProxy in front of several gateways (test/integration/cluster.test.ts; run in the foreground, never as a service).
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || need+=(haproxy)
# Prometheus (and promtool) for the metrics test (test/integration/metrics.test.ts runs it in the foreground on a
# loopback port, never as a service).
command -v prometheus >/dev/null || need+=(prometheus)
# PostgreSQL server binaries for the metadata contract suite and the cluster test (each test starts its own
# throwaway cluster with initdb/pg_ctl on a loopback port; the packaged service is never used).
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Installing slapd, haproxy or prometheus would start a system service (slapd on port 389), which the tests neither need nor use:
  # deny service starts during the install (unless the machine already has a policy), then undo that.
  if [[ ( " ${need[*]} " == *" slapd "* || " ${need[*]} " == *" haproxy "* || " ${need[*]} " == *" postgresql "* || " ${need[*]} " == *" prometheus "* ) && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# boto3/botocore, requests (browser-form tests post with it) and the AWS CLI v1 come with the machine's
# Python; fail early and clearly if not.
python3 -c 'import boto3, botocore, requests' || { echo "python3 with boto3 and requests is required for the tests" >&2; exit 1; }
command -v aws >/dev/null || { echo "the AWS CLI is required for the tests" >&2; exit 1; }
