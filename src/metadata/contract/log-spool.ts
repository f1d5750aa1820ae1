/** MetadataStore contract: the server access log spool (bucket logging delivery, core/log-delivery.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContractContext } from './fixture.js';

export function logSpoolContract({ withStore }: ContractContext): void {
  describe('log spool', () => {
    it('appends, takes the oldest first, and forgets what is acknowledged', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await store.takeLogRecords(10), []);
        const line = (n: number) => `owner bucket [04/Dec/2026:21:00:0${n} +0000] 127.0.0.1 - "GET /b/k é HTTP/1.1" ${n}`;
        await store.appendLogRecords([
          { bucketId: 'b1', eventTime: 3000, line: line(3) },
          { bucketId: 'b2', eventTime: 1000, line: line(1) },
        ]);
        // Many at once (more than one statement's worth).
        await store.appendLogRecords(Array.from({ length: 600 }, (_, i) => ({ bucketId: 'b3', eventTime: 5000 + i, line: `r${i}` })));
        const first = await store.takeLogRecords(2);
        assert.deepEqual(first.map((r) => [r.bucketId, r.eventTime, r.line]), [['b2', 1000, line(1)], ['b1', 3000, line(3)]]);
        assert.equal(new Set(first.map((r) => r.id)).size, 2);
        await store.ackLogRecords(first.map((r) => r.id));
        const rest = await store.takeLogRecords(1000);
        assert.equal(rest.length, 600);
        assert.deepEqual(rest.slice(0, 2).map((r) => r.line), ['r0', 'r1']);
        await store.ackLogRecords(rest.map((r) => r.id));
        assert.deepEqual(await store.takeLogRecords(10), []);
        await store.ackLogRecords([]);
      }));
  });
}
