/**
 * The operation table is what the pipeline reads instead of names (issue 18): its rows must be coherent,
 * or a write would slip past the quota or the free-space check without any name check to catch it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ENDPOINTS, type EndpointSpec } from './endpoints.js';

const rows = Object.entries(ENDPOINTS) as Array<[string, EndpointSpec]>;

describe('ENDPOINTS', () => {
  it('every operation that adds data counts as a charged write, and every charged write adds data', () => {
    for (const [name, s] of rows) assert.equal(s.addsData === true, s.quota === 'charged', name);
  });
  it('a body of object bytes reserves its room (stream or form), and only such a body does', () => {
    for (const [name, s] of rows) assert.equal(s.reserves !== undefined, s.body === 'stream' || s.body === 'form', name);
    assert.deepEqual(rows.filter(([, s]) => s.reserves === 'part').map(([n]) => n), ['UploadPart']);
  });
  it('copies read their source and need s3:PutObject on the destination; no body of their own', () => {
    for (const [name, s] of rows.filter(([, s]) => s.copySource)) {
      assert.equal(s.action, 's3:PutObject', name);
      assert.equal(s.body, 'none', name);
      assert.equal(s.scope, 'object', name);
    }
    assert.deepEqual(rows.filter(([, s]) => s.copySource).map(([n]) => n).sort(), ['CopyObject', 'UploadPartCopy']);
  });
  it('key reads are object reads; a request naming its objects in the body is a bucket request', () => {
    for (const [name, s] of rows) {
      if (s.authorize === 'key-read') assert.deepEqual([s.scope, s.quota ?? 'read'], ['object', 'read'], name);
      if (s.authorize === 'some-object') assert.equal(s.scope, 'bucket', name);
    }
  });
  it('service operations neither write nor name a bucket', () => {
    for (const [name, s] of rows.filter(([, s]) => s.scope === 'service')) assert.deepEqual([s.quota, s.addsData, s.createsBucket], [undefined, undefined, undefined], name);
  });
});
