/** The process logger (pino): redaction by its configuration, and the file sink that SIGHUP reopens. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, openLogSink, type LogSink } from './log.js';

describe('process logger', () => {
  it('writes JSON lines at or above its level, censoring secret-named fields at any depth', () => {
    const out: string[] = [];
    const sink: LogSink = { write: (t) => void out.push(t), reopen: () => {}, close: () => {} };
    const log = createLogger('info', sink);
    log.debug('not shown');
    log.info('plain');
    log.warn('with fields', { bucket: 'b', password: 'PW1', nested: { secretAccessKey: 'SK2', deeper: { cookie: 'C3' } }, authorization: 'AWS x:SIG4' });
    log.error('failed', { err: new Error('boom') });
    const lines = out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'plain'], ['warn', 'with fields'], ['error', 'failed']]);
    assert.equal(lines[1]!.bucket, 'b');
    for (const s of ['PW1', 'SK2', 'C3', 'SIG4']) assert.ok(!out.join('').includes(s), `${s} leaked`);
    assert.equal(lines[1]!.password, '[redacted]');
    assert.match(String((lines[2]!.err as { stack: string }).stack), /boom/);
  });

  it('censors whatever the case, in arrays and errors, without touching the caller’s objects', () => {
    const out: string[] = [];
    const log = createLogger('info', { write: (t) => void out.push(t), reopen: () => {}, close: () => {} });
    const headers = { Authorization: 'AWS4 SIG5', 'X-Amz-Security-Token': 'TOK6' };
    const err = Object.assign(new Error('failed'), { config: { Password: 'PW7' } });
    log.warn('nested', { list: [{ Cookie: 'C8' }, 'plain'], headers, err });
    const text = out.join('');
    for (const s of ['SIG5', 'TOK6', 'PW7', 'C8']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    const line = JSON.parse(text) as { list: unknown[]; err: { message: string; stack: string } };
    assert.deepEqual(line.list, [{ Cookie: '[redacted]' }, 'plain']);
    assert.equal(line.err.message, 'failed');
    assert.match(line.err.stack, /failed/);
    assert.equal(headers.Authorization, 'AWS4 SIG5', 'the caller’s object is unchanged');
    assert.equal(err.config.Password, 'PW7');
  });

  it('a file sink appends, and after the file is renamed, reopen() starts a new one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'granary-log-'));
    try {
      const file = join(dir, 'g.log');
      const sink = openLogSink({ file });
      sink.write('one\n');
      renameSync(file, `${file}.1`);
      sink.write('two\n');
      sink.reopen();
      sink.write('three\n');
      sink.close();
      sink.write('dropped\n');
      assert.equal(readFileSync(`${file}.1`, 'utf8'), 'one\ntwo\n');
      assert.equal(readFileSync(file, 'utf8'), 'three\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
