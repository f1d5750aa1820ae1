/**
 * The load client's ceiling for `npm run bench`: a Node.js HTTP server that answers every GET from memory (no
 * disk, no S3 work, auth ignored): 4 KiB, or the length a `Range: bytes=a-b` asks for (206). Whatever a real
 * server does per request comes on top of this, so a target above these figures is beyond what this machine
 * and this client can show.
 *
 * Run: node dist/bench/ceiling-server.js   (prints "Ceiling endpoint: http://127.0.0.1:PORT")
 */
import http from 'node:http';

const MAX_RANGE = 8 * 1024 * 1024;
const bytes = Buffer.alloc(MAX_RANGE, 0x5a);

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  if (req.method !== 'GET') {
    res.writeHead(200, { 'content-length': 0 });
    res.end();
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  const n = m ? Math.min(MAX_RANGE, Number(m[2]) - Number(m[1]) + 1) : 4096;
  res.writeHead(m ? 206 : 200, { 'content-length': n, 'content-type': 'application/octet-stream', etag: '"ceiling"' });
  // In 64 KiB writes, as a file stream would hand them over (one 1 MiB write measured slower on the client side).
  for (let o = 0; o < n; o += 65536) res.write(bytes.subarray(o, Math.min(n, o + 65536)));
  res.end();
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  if (a && typeof a === 'object') process.stdout.write(`Ceiling endpoint: http://127.0.0.1:${a.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
