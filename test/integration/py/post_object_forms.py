"""Browser form uploads (PostObject) the way Python users post them: `requests` with boto3's
generate_presigned_post, and hand-signed Signature Version 2 forms sent as the conformance suites send
them (every field a `files=` entry, so each part carries a filename). Usage: post_object_forms.py ENDPOINT
BUCKET (credentials from AWS_* env). Prints one JSON summary line; exits non-zero on the first failed
expectation, naming it."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from collections import OrderedDict

import boto3
import requests
from botocore.config import Config

endpoint, bucket = sys.argv[1], sys.argv[2]
access_key, secret_key = os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']
url = f'{endpoint}/{bucket}'
s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
                  config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
s3.create_bucket(Bucket=bucket)
summary = {}


def expect(cond, what, extra=''):
    if not cond:
        print(f'FAILED: {what} {extra}', file=sys.stderr)
        sys.exit(1)


def code_of(r):
    try:
        return ET.fromstring(r.text).findtext('Code')
    except ET.ParseError:
        return None


def expires_in(seconds):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%SZ')


def v2_form(policy_text, fields, key_field='key'):
    """Signs a policy document (given as JSON text, so it may hold AWS's own escapes) the SigV2 way and
    returns the form as an ordered list: the fields, then AWSAccessKeyId, policy and signature."""
    policy = base64.b64encode(policy_text.encode()).decode()
    signature = base64.b64encode(hmac.new(secret_key.encode(), policy.encode(), hashlib.sha1).digest()).decode()
    return OrderedDict([*fields.items(), ('AWSAccessKeyId', access_key), ('policy', policy), ('signature', signature)])


def post_as_files(form, content=b'bar', filename='file'):
    """As the conformance suites post: every entry through `files=`, so every part has a filename."""
    return requests.post(url, files=list(form.items()) + [('file', (filename, content))], allow_redirects=False)


def standard_policy(key_prefix='', extra=()):
    return json.dumps({'expiration': expires_in(300), 'conditions': [
        {'bucket': bucket}, ['starts-with', '$key', key_prefix], {'acl': 'private'},
        ['starts-with', '$Content-Type', 'text/plain'], ['content-length-range', 0, 1024], *extra]})


# 1. Every field sent with a filename (requests' files=): they are fields, `file` is the upload.
r = post_as_files(v2_form(standard_policy(), OrderedDict([('key', 'as-files.txt'), ('acl', 'private'), ('Content-Type', 'text/plain')])))
expect(r.status_code == 204, 'fields sent as file parts', f'{r.status_code} {r.text}')
got = s3.get_object(Bucket=bucket, Key='as-files.txt')
expect(got['Body'].read() == b'bar' and got['ContentType'] == 'text/plain', 'as-files.txt content and type')

# 2. `file` as a plain field (no filename, as `curl -F file=<data.txt` sends it); fields after it ignored.
p = s3.generate_presigned_post(bucket, 'plain-field.txt', ExpiresIn=300)
parts = [(k, (None, v)) for k, v in p['fields'].items()] + [('file', (None, 'typed into a form')),
                                                           ('x-amz-meta-late', (None, 'after the file'))]
r = requests.post(p['url'], files=parts, allow_redirects=False)
expect(r.status_code == 204, 'plain file field', f'{r.status_code} {r.text}')
head = s3.head_object(Bucket=bucket, Key='plain-field.txt')
expect(s3.get_object(Bucket=bucket, Key='plain-field.txt')['Body'].read() == b'typed into a form', 'plain field content')
expect(head['Metadata'] == {}, 'a field after the file is ignored', str(head['Metadata']))
summary['fields'] = 'ok'

# 3. success_action_status: 200/201/204; anything else is 204.
for given, want in (('200', 200), ('201', 201), ('204', 204), ('404', 204), ('ok', 204)):
    p = s3.generate_presigned_post(bucket, f'status-{given}.txt', Fields={'success_action_status': given},
                                   Conditions=[{'success_action_status': given}], ExpiresIn=300)
    r = requests.post(p['url'], data=p['fields'], files={'file': ('s.txt', b'status')}, allow_redirects=False)
    expect(r.status_code == want, f'success_action_status {given}', f'{r.status_code} {r.text}')
    if want == 201:
        ns = {'s': 'http://s3.amazonaws.com/doc/2006-03-01/'}
        root = ET.fromstring(r.text)
        expect(root.tag.endswith('PostResponse') and root.findtext('s:Key', namespaces=ns) == 'status-201.txt', '201 document', r.text)
        expect(root.findtext('s:Location', namespaces=ns).endswith(f'/{bucket}/status-201.txt'), '201 Location', r.text)
    else:
        expect(r.text == '', f'empty document for {given}', r.text)

# 4. success_action_redirect and redirect: 303 with bucket, key and etag; an unusable URL is ignored.
for field in ('success_action_redirect', 'redirect'):
    target = f'https://example.org/done?from={field}'
    p = s3.generate_presigned_post(bucket, f'{field}/${{filename}}', Fields={field: target},
                                   Conditions=[{field: target}], ExpiresIn=300)
    r = requests.post(p['url'], data=p['fields'], files={'file': ('my file.txt', b'redirected')}, allow_redirects=False)
    expect(r.status_code == 303, f'{field} status', f'{r.status_code} {r.text}')
    loc = urllib.parse.urlsplit(r.headers['Location'])
    q = dict(urllib.parse.parse_qsl(loc.query))
    expect(loc.netloc == 'example.org' and q.get('from') == field and q.get('bucket') == bucket, f'{field} target', r.headers['Location'])
    expect(q.get('key') == f'{field}/my file.txt', f'{field} key (with ${{filename}})', r.headers['Location'])
    expect(q.get('etag') == s3.head_object(Bucket=bucket, Key=f'{field}/my file.txt')['ETag'], f'{field} etag', r.headers['Location'])
p = s3.generate_presigned_post(bucket, 'bad-redirect.txt', Fields={'success_action_redirect': 'not a url'},
                               Conditions=[{'success_action_redirect': 'not a url'}], ExpiresIn=300)
r = requests.post(p['url'], data=p['fields'], files={'file': ('x', b'x')}, allow_redirects=False)
expect(r.status_code == 204, 'an unusable redirect is ignored', f'{r.status_code} {r.text}')
summary['responses'] = 'ok'

# 5. x-amz-meta-*, tagging (a Tagging document), Content-Type, ${filename}.
tagging = '<Tagging><TagSet><Tag><Key>project</Key><Value>zarr</Value></Tag><Tag><Key>stage</Key><Value>raw</Value></Tag></TagSet></Tagging>'
p = s3.generate_presigned_post(
    bucket, 'uploads/${filename}',
    Fields={'x-amz-meta-origin': 'browser', 'tagging': tagging, 'Content-Type': 'application/json'},
    Conditions=[{'x-amz-meta-origin': 'browser'}, ['starts-with', '$tagging', ''], ['starts-with', '$Content-Type', 'application/']],
    ExpiresIn=300)
r = requests.post(p['url'], data=p['fields'], files={'file': ('data set.json', b'{"a": 1}', 'text/plain')}, allow_redirects=False)
expect(r.status_code == 204, 'metadata/tagging form', f'{r.status_code} {r.text}')
head = s3.head_object(Bucket=bucket, Key='uploads/data set.json')
expect(head['Metadata'] == {'origin': 'browser'}, 'metadata', str(head['Metadata']))
expect(head['ContentType'] == 'application/json', 'Content-Type from the field', head['ContentType'])
tags = {t['Key']: t['Value'] for t in s3.get_object_tagging(Bucket=bucket, Key='uploads/data set.json')['TagSet']}
expect(tags == {'project': 'zarr', 'stage': 'raw'}, 'tagging', str(tags))
p = s3.generate_presigned_post(bucket, 'bad-tags.txt', Fields={'tagging': '<Tagging><TagSet>'},
                               Conditions=[['starts-with', '$tagging', '']], ExpiresIn=300)
r = requests.post(p['url'], data=p['fields'], files={'file': ('x', b'x')})
expect(r.status_code == 400 and code_of(r) == 'MalformedXML', 'a malformed tagging document', f'{r.status_code} {r.text}')
# An x-amz-checksum-* field is verified, as the header is on PutObject.
content = b'checked bytes'
good = base64.b64encode(hashlib.sha256(content).digest()).decode()
for value, want in ((good, 204), (base64.b64encode(hashlib.sha256(b'other').digest()).decode(), 400)):
    p = s3.generate_presigned_post(bucket, 'checked.bin', Fields={'x-amz-checksum-sha256': value},
                                   Conditions=[{'x-amz-checksum-sha256': value}], ExpiresIn=300)
    r = requests.post(p['url'], data=p['fields'], files={'file': ('c', content)})
    expect(r.status_code == want and (want == 204 or code_of(r) == 'BadDigest'), f'checksum field -> {want}', f'{r.status_code} {r.text}')
expect(s3.head_object(Bucket=bucket, Key='checked.bin', ChecksumMode='ENABLED').get('ChecksumSHA256') == good, 'checksum kept')
summary['object'] = 'ok'

# 6. Condition field names are case-insensitive; operator names are not.
policy = json.dumps({'expiration': expires_in(300), 'conditions': [
    {'bUcKeT': bucket}, ['starts-with', '$kEy', 'case/'], {'AcL': 'private'}, ['starts-with', '$CoNtEnT-TyPe', 'text/plain']]})
r = post_as_files(v2_form(policy, OrderedDict([('kEy', 'case/x.txt'), ('aCl', 'private'), ('cOnTeNt-TyPe', 'text/plain')])))
expect(r.status_code == 204, 'case-insensitive field names', f'{r.status_code} {r.text}')
policy = json.dumps({'expiration': expires_in(300), 'conditions': [{'bucket': bucket}, ['StArTs-WiTh', '$key', 'case/']]})
r = post_as_files(v2_form(policy, OrderedDict([('key', 'case/y.txt')])))
expect(r.status_code == 400 and code_of(r) == 'InvalidPolicyDocument', 'operator names are case-sensitive', f'{r.status_code} {r.text}')
policy = json.dumps({'expiration': str(datetime.datetime.utcnow() + datetime.timedelta(days=1)), 'conditions': [{'bucket': bucket}, ['starts-with', '$key', '']]})
r = post_as_files(v2_form(policy, OrderedDict([('key', 'case/z.txt')])))
expect(r.status_code == 400 and code_of(r) == 'InvalidPolicyDocument', 'an expiration not in ISO 8601 UTC', f'{r.status_code} {r.text}')

# 7. Escaped characters: AWS's `\$` (not a JSON escape) and JSON's own `\\`.
policy = ('{"expiration": "%s", "conditions": [{"bucket": "%s"}, ["starts-with", "$key", "\\$money/"],'
          ' {"x-amz-meta-note": "tab\\there"}]}') % (expires_in(300), bucket)
r = post_as_files(v2_form(policy, OrderedDict([('key', '$money/a.txt'), ('x-amz-meta-note', 'tab\there')])))
expect(r.status_code == 204, 'a \\$ escape', f'{r.status_code} {r.text}')
expect(s3.head_object(Bucket=bucket, Key='$money/a.txt')['Metadata'] == {'note': 'tab\there'}, '\\t in a value')
policy = json.dumps({'expiration': expires_in(300), 'conditions': [{'bucket': bucket}, ['starts-with', '$key', '\\$foo']]})
r = post_as_files(v2_form(policy, OrderedDict([('key', '\\$foo.txt')])))
expect(r.status_code == 204, 'an escaped backslash', f'{r.status_code} {r.text}')
expect(s3.get_object(Bucket=bucket, Key='\\$foo.txt')['Body'].read() == b'bar', 'key with a backslash')
summary['matching'] = 'ok'

# 8. Refusals: all 403 AccessDenied (a field the policy does not name, an expired policy, a bad signature,
# a condition the form does not meet or a field it names missing, another bucket), 403 for an unknown key.
def refused(form, what, code='AccessDenied', status=403):
    r = post_as_files(form)
    expect(r.status_code == status and code_of(r) == code, what, f'{r.status_code} {r.text}')
    return r

r = refused(v2_form(standard_policy(), OrderedDict([('key', 'extra.txt'), ('acl', 'private'), ('Content-Type', 'text/plain'), ('x-amz-meta-sneaky', 'yes')])), 'an unnamed field')
expect('Extra input fields: x-amz-meta-sneaky' in r.text, 'names the extra field', r.text)
r = post_as_files(v2_form(standard_policy(), OrderedDict([('key', 'ignored.txt'), ('acl', 'private'), ('Content-Type', 'text/plain'), ('x-ignore-me', 'yes')])))
expect(r.status_code == 204, 'x-ignore-* needs no condition', f'{r.status_code} {r.text}')
old = json.dumps({'expiration': '2020-01-01T00:00:00Z', 'conditions': [{'bucket': bucket}, ['starts-with', '$key', '']]})
r = refused(v2_form(old, OrderedDict([('key', 'expired.txt')])), 'an expired policy')
expect('expired' in r.text, 'says expired', r.text)
form = v2_form(standard_policy(), OrderedDict([('key', 'badsig.txt'), ('acl', 'private'), ('Content-Type', 'text/plain')]))
form['signature'] = form['signature'][::-1]
refused(form, 'a bad signature')
form = v2_form(standard_policy(), OrderedDict([('key', 'nokey.txt'), ('acl', 'private'), ('Content-Type', 'text/plain')]))
form['AWSAccessKeyId'] = 'AKIANOSUCHKEY0000000'
refused(form, 'an unknown access key', code='InvalidAccessKeyId')
refused(v2_form(standard_policy(extra=[['starts-with', '$x-amz-meta-foo', 'bar']]), OrderedDict([('key', 'nofield.txt'), ('acl', 'private'), ('Content-Type', 'text/plain')])), 'a field the policy names is missing')
refused(v2_form(standard_policy('only/'), OrderedDict([('key', 'elsewhere.txt'), ('acl', 'private'), ('Content-Type', 'text/plain')])), 'a failed condition')
other = json.dumps({'expiration': expires_in(300), 'conditions': [{'bucket': bucket + '-other'}, ['starts-with', '$key', '']]})
refused(v2_form(other, OrderedDict([('key', 'wrongbucket.txt')])), 'another bucket')
for k in ('extra.txt', 'expired.txt', 'badsig.txt', 'nokey.txt', 'nofield.txt', 'elsewhere.txt', 'wrongbucket.txt'):
    try:
        s3.head_object(Bucket=bucket, Key=k)
        expect(False, f'{k} must not exist')
    except s3.exceptions.ClientError:
        pass
summary['refusals'] = 'ok'

# 9. content-length-range: the file's size, inclusive bounds; several ranges all hold.
policy = json.dumps({'expiration': expires_in(300), 'conditions': [{'bucket': bucket}, ['starts-with', '$key', 'len/'],
                                                                   ['content-length-range', 2, 100], ['content-length-range', 0, 10]]})
for size, want in ((1, 'EntityTooSmall'), (2, None), (10, None), (11, 'EntityTooLarge')):
    r = post_as_files(v2_form(policy, OrderedDict([('key', f'len/{size}')])), content=b'x' * size)
    if want:
        expect(r.status_code == 400 and code_of(r) == want, f'{size} bytes', f'{r.status_code} {r.text}')
    else:
        expect(r.status_code == 204, f'{size} bytes', f'{r.status_code} {r.text}')
summary['length'] = 'ok'

summary['ok'] = True
print(json.dumps(summary))
