/**
 * Decoder for `Content-Encoding: aws-chunked` request bodies (the STREAMING-* payload modes):
 * takes the raw body, emits only the user's bytes, verifies chunk signatures (and the trailer
 * signature) when the body is signed, and collects the trailing headers (integrity checksums).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 *
 * Wire format:
 *   hex-size[;chunk-signature=sig]\r\n <size bytes> \r\n   (repeated)
 *   0[;chunk-signature=sig]\r\n
 *   [name:value\r\n ...] [x-amz-trailer-signature:sig\r\n]   (when x-amz-trailer announced some)
 *   \r\n
 *
 * Streaming: chunk data is passed downstream as it arrives (subarrays of the input, no copy) and
 * hashed incrementally; a chunk's signature is checked when the chunk ends. So bytes of a chunk
 * whose signature later fails have already gone downstream: the caller commits nothing until the
 * stream ends cleanly, so an error here abandons the whole write. Only framing lines (a few
 * hundred bytes at most) are ever buffered.
 *
 * Tolerated client variations: LF instead of CRLF line ends; a missing final CRLF (or missing
 * blank line) at end of stream after the last chunk or the trailers (the AWS SDK for JavaScript
 * ends with `0\r\n` when it has no checksum to send); a blank line between the last chunk and
 * the trailers; spaces around trailer names and values.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../../errors/s3-error.js';
import type { SigningContext } from './types.js';
import { EMPTY_SHA256, sha256Hex } from './canonical.js';
import { signHex, signaturesEqual } from './signing-key.js';

export interface AwsChunkedDecoderOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: chunk signatures are verified. */
  signing?: SigningContext | undefined;
  /** The payload mode has trailers (…-TRAILER). */
  expectTrailer: boolean;
  /** Names announced in x-amz-trailer, lowercase. Only these may be sent. */
  trailerNames: string[];
  /** x-amz-decoded-content-length: the decoded byte count must equal it. */
  decodedLength?: number | undefined;
}

export type AwsChunkedDecoder = Transform & { trailers(): Record<string, string> };

/** Longest framing line accepted (a chunk header with signature is ~90 bytes). */
const MAX_LINE_BYTES = 4096;
const CR = 0x0d;
const LF = 0x0a;

type State = 'header' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

function malformed(message: string): S3Error {
  return new S3Error('InvalidRequest', { message: `Malformed aws-chunked body: ${message}` });
}

class Decoder extends Transform {
  private readonly signing: SigningContext | undefined;
  private readonly expectTrailer: boolean;
  private readonly trailerNames: ReadonlySet<string>;
  private readonly decodedLength: number | undefined;

  private state: State = 'header';
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  /** Bytes of the current chunk's data still to come. */
  private remaining = 0;
  private decoded = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  /** The signature the next chunk (or the trailer) chains from. */
  private previousSignature: string;

  private readonly trailerValues: Record<string, string> = {};
  private trailerCanonical = '';
  private trailerCount = 0;
  private trailerSignatureSeen = false;

  constructor(opts: AwsChunkedDecoderOptions) {
    super();
    this.signing = opts.signing;
    // A "-TRAILER" mode with nothing announced in x-amz-trailer carries no trailer (SDKs do this
    // when no checksum is configured).
    this.expectTrailer = opts.expectTrailer && opts.trailerNames.length > 0;
    this.trailerNames = new Set(opts.trailerNames);
    this.decodedLength = opts.decodedLength;
    this.previousSignature = opts.signing?.seedSignature ?? '';
  }

  /** The trailing headers received (lowercase names); complete once the stream has ended. */
  trailers(): Record<string, string> {
    return { ...this.trailerValues };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'header':
        case 'trailer': {
          const nl = buf.indexOf(LF, pos);
          const end = nl === -1 ? buf.length : nl;
          this.appendLine(buf, pos, end);
          pos = nl === -1 ? buf.length : nl + 1;
          if (nl !== -1) this.onLine(this.takeLine());
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - pos);
          const slice = buf.subarray(pos, pos + n);
          this.chunkHash?.update(slice);
          this.remaining -= n;
          this.decoded += n;
          pos += n;
          this.push(slice);
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr': {
          const b = buf[pos++];
          if (b === CR) this.state = 'data-lf';
          else if (b === LF) this.endDataChunk();
          else throw malformed('chunk data is longer than its declared size');
          break;
        }
        case 'data-lf': {
          if (buf[pos++] !== LF) throw malformed('chunk data is not followed by CRLF');
          this.endDataChunk();
          break;
        }
        case 'done': {
          for (; pos < buf.length; pos++) {
            const b = buf[pos];
            if (b !== CR && b !== LF) throw malformed('data after the end of the body');
          }
          break;
        }
      }
    }
  }

  private appendLine(buf: Buffer, start: number, end: number): void {
    if (end === start) return;
    this.lineBytes += end - start;
    if (this.lineBytes > MAX_LINE_BYTES) throw malformed('framing line too long');
    // Copy: lines are tiny, and a subarray would keep the whole input chunk alive.
    this.lineParts.push(Buffer.from(buf.subarray(start, end)));
  }

  private takeLine(): string {
    const whole = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
    this.lineParts = [];
    this.lineBytes = 0;
    const text = whole.toString('latin1');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }

  private onLine(line: string): void {
    if (this.state === 'header') this.onChunkHeader(line);
    else this.onTrailerLine(line);
  }

  private onChunkHeader(line: string): void {
    const semi = line.indexOf(';');
    const sizeText = (semi === -1 ? line : line.slice(0, semi)).trim();
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw malformed(`invalid chunk size "${sizeText.slice(0, 32)}"`);
    const size = parseInt(sizeText, 16);
    let signature: string | undefined;
    if (semi !== -1) {
      for (const ext of line.slice(semi + 1).split(';')) {
        const eq = ext.indexOf('=');
        if (eq !== -1 && ext.slice(0, eq).trim() === 'chunk-signature') signature = ext.slice(eq + 1).trim();
      }
    }
    if (this.signing !== undefined) {
      if (signature === undefined) throw malformed('chunk-signature missing from a signed chunk');
      this.chunkSignature = signature;
    }
    if (this.decodedLength !== undefined && this.decoded + size > this.decodedLength) {
      throw new S3Error('IncompleteBody', {
        message: 'The decoded body is longer than x-amz-decoded-content-length.',
      });
    }
    if (size === 0) {
      this.verifyChunk(EMPTY_SHA256);
      this.state = 'trailer';
      return;
    }
    if (this.signing !== undefined) this.chunkHash = createHash('sha256');
    this.remaining = size;
    this.state = 'data';
  }

  private endDataChunk(): void {
    const hash = this.chunkHash;
    this.chunkHash = undefined;
    if (hash !== undefined) this.verifyChunk(hash.digest('hex'));
    this.state = 'header';
  }

  /** Chunk string to sign: AWS4-HMAC-SHA256-PAYLOAD, datetime, scope, previous, sha256(''), sha256(data). */
  private verifyChunk(dataHashHex: string): void {
    const s = this.signing;
    if (s === undefined) return;
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${s.datetime}\n${s.scope}\n${this.previousSignature}\n${EMPTY_SHA256}\n${dataHashHex}`;
    if (!signaturesEqual(signHex(s.signingKey, sts), this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', {
        message: 'The chunk signature we calculated does not match the signature you provided.',
        details: { StringToSign: sts, SignatureProvided: this.chunkSignature },
      });
    }
    this.previousSignature = this.chunkSignature;
  }

  private onTrailerLine(line: string): void {
    if (line.trim() === '') {
      // A blank line before any trailer is tolerated when trailers are expected.
      if (this.expectTrailer && this.trailerCount === 0 && !this.trailerSignatureSeen) return;
      this.endTrailers(false);
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('trailer line is not name:value');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      if (this.signing === undefined) return; // unsigned trailers: nothing to check against
      this.verifyTrailer(value);
      return;
    }
    if (!this.trailerNames.has(name)) {
      throw new S3Error('InvalidRequest', { message: `The trailer "${name}" was not announced in x-amz-trailer.` });
    }
    if (this.trailerSignatureSeen) throw malformed('trailer after x-amz-trailer-signature');
    if (Object.prototype.hasOwnProperty.call(this.trailerValues, name)) throw malformed(`trailer "${name}" sent twice`);
    this.trailerValues[name] = value;
    this.trailerCanonical += `${name}:${value}\n`;
    this.trailerCount++;
  }

  /** Trailer string to sign: AWS4-HMAC-SHA256-TRAILER, datetime, scope, previous, sha256(canonical trailers). */
  private verifyTrailer(signature: string): void {
    const s = this.signing!;
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${s.datetime}\n${s.scope}\n${this.previousSignature}\n${sha256Hex(this.trailerCanonical)}`;
    if (!signaturesEqual(signHex(s.signingKey, sts), signature)) {
      throw new S3Error('SignatureDoesNotMatch', {
        message: 'The trailer signature we calculated does not match the signature you provided.',
        details: { StringToSign: sts, SignatureProvided: signature },
      });
    }
    this.trailerSignatureSeen = true;
  }

  /** End of trailers: by a blank line, or (`atEof`) by the end of the stream. */
  private endTrailers(atEof: boolean): void {
    if (this.expectTrailer) {
      const missing = [...this.trailerNames].filter((n) => !Object.prototype.hasOwnProperty.call(this.trailerValues, n));
      if (missing.length > 0) {
        throw atEof
          ? new S3Error('IncompleteBody', { message: `The body ended before the trailer ${missing.join(', ')} announced in x-amz-trailer.` })
          : new S3Error('InvalidRequest', { message: `The trailer ${missing.join(', ')} announced in x-amz-trailer was not sent.` });
      }
      if (this.signing !== undefined && !this.trailerSignatureSeen) {
        throw atEof
          ? new S3Error('IncompleteBody', { message: 'The body ended before x-amz-trailer-signature.' })
          : malformed('x-amz-trailer-signature missing from a signed trailer');
      }
    }
    this.state = 'done';
  }

  private finish(): void {
    const pending = this.lineBytes > 0 ? this.takeLine() : undefined;
    // compat: tolerate a last line without its CRLF (final `0` chunk or last trailer line).
    if (pending !== undefined && (this.state === 'header' || this.state === 'trailer')) this.onLine(pending);
    if (this.state === 'trailer') this.endTrailers(true);
    if (this.state !== 'done') {
      throw new S3Error('IncompleteBody', { message: 'The aws-chunked body ended before its final chunk.' });
    }
    if (this.decodedLength !== undefined && this.decoded !== this.decodedLength) {
      throw new S3Error('IncompleteBody', {
        message: `The decoded body has ${this.decoded} bytes; x-amz-decoded-content-length says ${this.decodedLength}.`,
      });
    }
  }
}

/** A Transform from the raw aws-chunked body to the user's bytes; see the module comment. */
export function createAwsChunkedDecoder(opts: AwsChunkedDecoderOptions): AwsChunkedDecoder {
  return new Decoder(opts);
}
