"""Browser form uploads (PostObject) with boto3's generate_presigned_post and a hand-built multipart body
(urllib, no requests). Usage: post_object.py ENDPOINT BUCKET  (credentials from AWS_* env). Prints one
JSON summary line; exits non-zero on the first failed expectation."""
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import boto3
from botocore.config import Config

endpoint, bucket = sys.argv[1], sys.argv[2]


def client(sig):
    return boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
                        config=Config(signature_version=sig, s3={'addressing_style': 'path'}))


def multipart(fields, filename, content):
    boundary = '----granary' + uuid.uuid4().hex
    out = []
    for k, v in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
               f'Content-Type: application/octet-stream\r\n\r\n'.encode())
    out.append(content)
    out.append(f'\r\n--{boundary}--\r\n'.encode())
    return b''.join(out), f'multipart/form-data; boundary={boundary}'


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def post(url, fields, filename, content):
    body, ctype = multipart(fields, filename, content)
    req = urllib.request.Request(url, data=body, method='POST', headers={'Content-Type': ctype})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def expect(cond, what, extra=''):
    if not cond:
        print(f'FAILED: {what} {extra}', file=sys.stderr)
        sys.exit(1)


def code_of(body):
    return ET.fromstring(body).findtext('Code')


s3 = client('s3v4')
s3.create_bucket(Bucket=bucket)
summary = {}

# SigV4 form: ${filename}, metadata, content type, success_action_status 201.
content = b'hello from a browser form\n' * 100
p = s3.generate_presigned_post(
    bucket, 'uploads/${filename}',
    Fields={'Content-Type': 'text/plain', 'x-amz-meta-project': 'zarr', 'success_action_status': '201'},
    Conditions=[{'Content-Type': 'text/plain'}, {'x-amz-meta-project': 'zarr'}, {'success_action_status': '201'},
                ['content-length-range', 1, 1048576]],
    ExpiresIn=300)
status, headers, body = post(p['url'], p['fields'], 'hello world.txt', content)
expect(status == 201, 'v4 upload status', f'{status} {body}')
root = ET.fromstring(body)
ns = {'s': 'http://s3.amazonaws.com/doc/2006-03-01/'}
expect(root.findtext('s:Key', namespaces=ns) == 'uploads/hello world.txt', 'PostResponse Key', body)
expect(root.findtext('s:Bucket', namespaces=ns) == bucket, 'PostResponse Bucket', body)
head = s3.head_object(Bucket=bucket, Key='uploads/hello world.txt')
expect(head['ContentType'] == 'text/plain', 'content type', head['ContentType'])
expect(head['Metadata'] == {'project': 'zarr'}, 'metadata', str(head['Metadata']))
expect(head['ETag'] == root.findtext('s:ETag', namespaces=ns), 'etag')
got = s3.get_object(Bucket=bucket, Key='uploads/hello world.txt')['Body'].read()
expect(got == content, 'content round trip')
summary['v4'] = status

# A larger file, default success status (204), streamed through.
big = os.urandom(8 * 1024 * 1024 + 123)
p = s3.generate_presigned_post(bucket, 'big.bin', ExpiresIn=300)
status, headers, body = post(p['url'], p['fields'], 'big.bin', big)
expect(status == 204, 'big upload status', f'{status} {body}')
expect(s3.get_object(Bucket=bucket, Key='big.bin')['Body'].read() == big, 'big round trip')
summary['big'] = status

# content-length-range enforced.
p = s3.generate_presigned_post(bucket, 'small.bin', Conditions=[['content-length-range', 10, 20]], ExpiresIn=300)
status, _, body = post(p['url'], p['fields'], 'x', b'x' * 100)
expect(status == 400 and code_of(body) == 'EntityTooLarge', 'EntityTooLarge', f'{status} {body}')
status, _, body = post(p['url'], p['fields'], 'x', b'x')
expect(status == 400 and code_of(body) == 'EntityTooSmall', 'EntityTooSmall', f'{status} {body}')
status, _, body = post(p['url'], p['fields'], 'x', b'x' * 15)
expect(status == 204, 'within range', f'{status} {body}')

# Tampered signature, a field the policy does not cover, a failed condition, an expired policy.
p = s3.generate_presigned_post(bucket, 'tampered.bin', ExpiresIn=300)
f = dict(p['fields'])
f['x-amz-signature'] = '0' * 64
status, _, body = post(p['url'], f, 'x', b'data')
expect(status == 403 and code_of(body) == 'AccessDenied', 'bad signature', f'{status} {body}')
f = dict(p['fields'])
f['x-amz-meta-sneaky'] = 'yes'
status, _, body = post(p['url'], f, 'x', b'data')
expect(status == 403 and code_of(body) == 'AccessDenied' and 'Extra input fields' in body, 'extra field', f'{status} {body}')
f = dict(p['fields'])
f['key'] = 'other-key'
status, _, body = post(p['url'], f, 'x', b'data')
expect(status == 403 and 'Policy Condition failed' in body, 'condition failed', f'{status} {body}')
p = s3.generate_presigned_post(bucket, 'late.bin', ExpiresIn=1)
time.sleep(2.1)
status, _, body = post(p['url'], p['fields'], 'x', b'data')
expect(status == 403 and code_of(body) == 'AccessDenied' and 'expired' in body, 'expired policy', f'{status} {body}')
f = {'key': 'garbage.bin', 'policy': 'not base64 json', 'x-amz-algorithm': 'AWS4-HMAC-SHA256',
     'x-amz-credential': p['fields']['x-amz-credential'], 'x-amz-date': p['fields']['x-amz-date'], 'x-amz-signature': '0' * 64}
status, _, body = post(p['url'], f, 'x', b'data')
expect(status in (400, 403), 'garbage policy refused', f'{status} {body}')
for k in ('tampered.bin', 'late.bin', 'other-key', 'garbage.bin'):
    try:
        s3.head_object(Bucket=bucket, Key=k)
        expect(False, f'{k} must not exist')
    except s3.exceptions.ClientError:
        pass
summary['refusals'] = 'ok'

# Signature Version 2 form (AWSAccessKeyId + signature), with a redirect on success.
s3v2 = client('s3')
p = s3v2.generate_presigned_post(
    bucket, 'v2/${filename}', Fields={'success_action_redirect': 'https://example.org/done'},
    Conditions=[{'success_action_redirect': 'https://example.org/done'}], ExpiresIn=300)
expect('AWSAccessKeyId' in p['fields'] and 'signature' in p['fields'], 'boto3 produced a v2 form', str(p['fields']))
status, headers, body = post(p['url'], p['fields'], 'file.dat', b'v2 bytes')
location = headers.get('Location') or headers.get('location') or ''
expect(status == 303 and location.startswith('https://example.org/done?'), 'v2 redirect', f'{status} {headers}')
expect('key=v2%2Ffile.dat' in location and 'etag=' in location, 'redirect query', location)
expect(s3.get_object(Bucket=bucket, Key='v2/file.dat')['Body'].read() == b'v2 bytes', 'v2 round trip')
summary['v2'] = status

summary['ok'] = True
print(json.dumps(summary))
