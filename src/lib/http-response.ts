/** The value an endpoint returns; `http/send.ts` writes it. Headers are final names and values. */
import type { Readable } from 'node:stream';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | number | string[]>;
  body?: string | Buffer | Readable;
}
