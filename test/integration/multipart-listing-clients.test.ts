/**
 * ListMultipartUploads with a delimiter as users run it (issue 23): `aws s3api list-multipart-uploads
 * --delimiter /` (CLI v1 and v2; `--page-size` makes the CLI page by key-marker / upload-id-marker and merge
 * the pages) and boto3's list_multipart_uploads and its paginator. Every answer must be AWS's: the uploads
 * outside any common prefix, each common prefix once, whatever the page size.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';

let server: TestServer;
const bucket = `mpu-list-${process.pid}`;
// Three "directories" with several uploads each (one key twice), a nested one, and keys at the top.
const KEYS = ['a/1', 'a/1', 'a/2', 'a/b/3', 'b/1', 'b/2', 'c/x/y', 'top1', 'top2', 'zz'];
const PREFIXES = ['a/', 'b/', 'c/'];
const TOP = ['top1', 'top2', 'zz'];

const BOTO = `
import json, sys, boto3
from botocore.config import Config
endpoint, bucket, action = sys.argv[1:4]
s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', config=Config(s3={'addressing_style': 'path'}))
if action == 'create':
    s3.create_bucket(Bucket=bucket)
    for key in json.loads(sys.argv[4]):
        s3.create_multipart_upload(Bucket=bucket, Key=key)
    print(json.dumps({'ok': True}))
else:
    one = s3.list_multipart_uploads(Bucket=bucket, Delimiter='/')
    sub = s3.list_multipart_uploads(Bucket=bucket, Delimiter='/', Prefix='a/')
    pages = []
    for page in s3.get_paginator('list_multipart_uploads').paginate(Bucket=bucket, Delimiter='/', PaginationConfig={'PageSize': 2}):
        pages.append({'uploads': [u['Key'] for u in page.get('Uploads', [])], 'prefixes': [p['Prefix'] for p in page.get('CommonPrefixes', [])],
                      'truncated': page['IsTruncated'], 'next': page.get('NextKeyMarker', '')})
    print(json.dumps({
        'one': {'uploads': [u['Key'] for u in one.get('Uploads', [])], 'prefixes': [p['Prefix'] for p in one.get('CommonPrefixes', [])], 'truncated': one['IsTruncated']},
        'sub': {'uploads': [u['Key'] for u in sub.get('Uploads', [])], 'prefixes': [p['Prefix'] for p in sub.get('CommonPrefixes', [])]},
        'pages': pages,
    }))
`;

const boto = (action: string, ...rest: string[]) => {
  const r = run('python3', ['-c', BOTO, server.url, bucket, action, ...rest], { env: awsEnv(server), allowFailure: true, timeoutMs: 120_000 });
  assert.equal(r.status, 0, `boto3 ${action} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
};

before(async () => {
  server = await startServer();
  boto('create', JSON.stringify(KEYS));
});
after(async () => {
  await server?.stop();
  server?.cleanup();
});

describe('ListMultipartUploads with a delimiter, real clients', () => {
  test('boto3: one call, a prefix, and the paginator at two entries a page', () => {
    const r = boto('list');
    assert.deepEqual(r.one, { uploads: TOP, prefixes: PREFIXES, truncated: false });
    assert.deepEqual(r.sub, { uploads: ['a/1', 'a/1', 'a/2'], prefixes: ['a/b/'] });
    const pages = r.pages as Array<{ uploads: string[]; prefixes: string[]; truncated: boolean; next: string }>;
    // Prefixes and uploads in one key order, two to a page: a/ b/ | c/ top1 | top2 zz
    assert.deepEqual(
      pages.map((p) => [...p.prefixes, ...p.uploads].sort()),
      [['a/', 'b/'], ['c/', 'top1'], ['top2', 'zz']],
    );
    assert.deepEqual(pages.map((p) => p.truncated), [true, true, false]);
    assert.equal(pages[0]!.next, 'b/', 'a page ending on a common prefix continues after it');
  });

  for (const [label, bin] of [['v1', 'aws'], ['v2', '/usr/bin/aws']] as const) {
    test(`aws s3api list-multipart-uploads --delimiter / (CLI ${label}), in one page and merged from pages of 2`, () => {
      const env = awsEnv(server, { AWS_ENDPOINT_URL: '' });
      for (const paging of [['--no-paginate'], ['--page-size', '2']]) {
        const r = run(bin, ['--endpoint-url', server.url, 's3api', 'list-multipart-uploads', '--bucket', bucket, '--delimiter', '/', ...paging], { env, timeoutMs: 120_000 });
        const out = JSON.parse(r.stdout);
        assert.deepEqual(
          (out.Uploads ?? []).map((u: { Key: string }) => u.Key),
          TOP,
          `uploads (${paging.join(' ')})`,
        );
        assert.deepEqual(
          (out.CommonPrefixes ?? []).map((p: { Prefix: string }) => p.Prefix),
          PREFIXES,
          `common prefixes (${paging.join(' ')})`,
        );
      }
      const nested = JSON.parse(
        run(bin, ['--endpoint-url', server.url, 's3api', 'list-multipart-uploads', '--bucket', bucket, '--delimiter', '/', '--prefix', 'c/'], { env, timeoutMs: 120_000 }).stdout,
      );
      assert.deepEqual((nested.CommonPrefixes ?? []).map((p: { Prefix: string }) => p.Prefix), ['c/x/']);
      assert.equal(nested.Uploads, undefined);
    });
  }
});
