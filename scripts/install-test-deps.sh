#!/usr/bin/env bash
# Installs the programs the test suite drives (Debian packages): the real S3 clients researchers use.
# Needs root (CI runs as root); skips apt when everything is already there.
set -euo pipefail
need=()
command -v s3cmd >/dev/null || need+=(s3cmd)
command -v rclone >/dev/null || need+=(rclone)
[ -x /usr/bin/aws ] || need+=(awscli)
# OpenLDAP for the LDAP directory tests (they start their own slapd; ldapmodify changes its entries).
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapmodify >/dev/null || need+=(ldap-utils)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Installing slapd would start a system slapd on port 389, which the tests neither need nor use:
  # deny service starts during the install (unless the machine already has a policy), then undo that.
  if [[ " ${need[*]} " == *" slapd "* && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# boto3/botocore and the AWS CLI v1 come with the machine's Python; fail early and clearly if not.
python3 -c 'import boto3, botocore' || { echo "python3 with boto3 is required for the tests" >&2; exit 1; }
command -v aws >/dev/null || { echo "the AWS CLI is required for the tests" >&2; exit 1; }
