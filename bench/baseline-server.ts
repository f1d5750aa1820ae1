/**
 * Baseline for `npm run bench`: a plain Node.js HTTP server with no S3 work. PUT streams the body to a
 * temporary file with the same durability protocol as Granary's blob store (write, fdatasync, close, rename,
 * fsync the directory) and answers 200; GET streams the file back with createReadStream (1 MiB reads, as
 * Granary's blob store does; `Range: bytes=a-b` honoured). Auth headers are ignored.
 *
 * Run: node dist/bench/baseline-server.js --data DIR   (prints "Baseline endpoint: http://127.0.0.1:PORT")
 */
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { data: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:0' } } });
if (!values.data) {
  process.stderr.write('usage: baseline-server --data DIR [--listen HOST:PORT]\n');
  process.exit(2);
}
const root = values.data;
const objDir = join(root, 'objects');
const tmpDir = join(root, 'tmp');
await mkdir(objDir, { recursive: true });
await mkdir(tmpDir, { recursive: true });

function fileOf(url: string): string {
  const q = url.indexOf('?');
  return join(objDir, encodeURIComponent(q < 0 ? url : url.slice(0, q)));
}

async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

async function put(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const tmp = join(tmpDir, randomBytes(8).toString('hex'));
  const fh = await open(tmp, 'wx', 0o644);
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    }
    await fh.datasync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(tmp, fileOf(req.url ?? '/'));
  await fsyncDir(objDir);
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}

async function get(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = fileOf(req.url ?? '/');
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
    return;
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    status = 206;
  }
  const headers: Record<string, string | number> = { 'content-length': end - start + 1 };
  if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const rs = createReadStream(path, { start, end, highWaterMark: 1024 * 1024 });
  rs.on('error', () => res.destroy());
  rs.pipe(res);
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const done = (err: unknown): void => {
    if (!res.headersSent) {
      res.writeHead(500, { 'content-length': 0 });
      res.end();
    } else res.destroy();
    process.stderr.write(`baseline: ${String(err)}\n`);
  };
  if (req.method === 'PUT') put(req, res).catch(done);
  else if (req.method === 'GET' || req.method === 'HEAD') get(req, res).catch(done);
  else {
    req.resume();
    res.writeHead(501, { 'content-length': 0 });
    res.end();
  }
});
const [host, port] = [values.listen.slice(0, values.listen.lastIndexOf(':')), Number(values.listen.slice(values.listen.lastIndexOf(':') + 1))];
server.listen(port, host, () => {
  const a = server.address();
  if (a && typeof a === 'object') process.stdout.write(`Baseline endpoint: http://${a.address}:${a.port}\n`);
});
const stop = (): void => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
