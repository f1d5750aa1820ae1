import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMetadataUnavailable } from './unavailable.js';

test('isMetadataUnavailable: connection failures yes, everything else no', () => {
  const yes: unknown[] = [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    new Error('Connection terminated due to connection timeout'),
    new Error('timeout exceeded when trying to connect'),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'all failed'),
    new Error('wrapped', { cause: new Error('Connection terminated') }),
  ];
  const no: unknown[] = [
    new Error('duplicate key value violates unique constraint'),
    Object.assign(new Error('unique_violation'), { code: '23505' }),
    Object.assign(new Error('no such file'), { code: 'ENOENT' }),
    'ECONNREFUSED',
    undefined,
  ];
  for (const e of yes) assert.equal(isMetadataUnavailable(e), true, String(e));
  for (const e of no) assert.equal(isMetadataUnavailable(e), false, String(e));
});
