/** The access log (issue 18): one JSON line per request, its facts only; secrets censored by the logger's redaction. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createAccessLog } from './access-log.js';
import { REDACTED_FIELDS, type LogSink } from '../lib/log.js';
import type { FinishedRequest } from '../lib/http-response.js';

const request: FinishedRequest = {
  requestId: 'r1', protocol: 's3', method: 'PUT', operation: 'PutObject', tenancy: 'lab', principal: 'alice', accessKeyId: 'GKabc',
  bucket: 'b', key: 'k', status: 200, errorCode: undefined, bytesIn: 4200, bytesOut: 310, durationMs: 1.5, aborted: false,
};

const sinkOf = (writes: string[]): LogSink => ({ write: (t) => void writes.push(t), reopen: () => {}, close: () => {} });

describe('access log', () => {
  it('writes one JSON line per request, gathered per turn of the event loop', async () => {
    const writes: string[] = [];
    const log = createAccessLog(sinkOf(writes));
    log.log(request);
    log.log({ ...request, requestId: 'r2', status: 403, errorCode: 'AccessDenied' });
    assert.equal(writes.length, 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(writes.length, 1);
    const lines = writes[0]!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.msg, 'request');
    assert.equal(lines[0]!.level, 'info');
    assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT/);
    const { time: _t, level: _l, msg: _m, ...facts } = lines[0]!;
    assert.deepEqual(facts, JSON.parse(JSON.stringify(request)), 'the facts, nothing else (undefined ones left out)');
    assert.deepEqual([lines[1]!.status, lines[1]!.errorCode], [403, 'AccessDenied']);
  });

  it('censors secret-bearing fields wherever they are, should one ever reach a line', async () => {
    const writes: string[] = [];
    const log = createAccessLog(sinkOf(writes));
    const leaky = {
      ...request,
      authorization: 'AWS4-HMAC-SHA256 Credential=GKabc/x, Signature=deadbeef',
      secret: 'TOPSECRET1',
      headers: { cookie: 'granary_session=SESSION2', 'x-amz-signature': 'SIG3' },
      form: { password: 'PASSWORD4', nested: { secretKey: 'SECRET5' } },
      sessionId: 'SESSION6',
    } as unknown as FinishedRequest;
    log.log(leaky);
    log.flush();
    const text = writes.join('');
    for (const s of ['deadbeef', 'TOPSECRET1', 'SESSION2', 'SIG3', 'PASSWORD4', 'SECRET5', 'SESSION6']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    assert.ok(text.includes('[redacted]'));
    assert.ok(REDACTED_FIELDS.includes('authorization'));
  });
});
