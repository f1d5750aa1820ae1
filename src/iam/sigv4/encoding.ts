/**
 * URI encoding as SigV4 defines it (RFC 3986 unreserved set `A-Za-z0-9-._~` kept, every other byte
 * `%XX` with upper-case hex), applied to bytes rather than characters so that a path holding
 * invalid UTF-8 or a stray '%' still canonicalises the same way the client did.
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** `%XX` (or the character itself when unreserved) for every byte value. */
const BYTE_TO_ENCODED: string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
});

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes `s` into bytes. A '%' not followed by two hex digits is kept as a literal '%'
 * (the client signed what it meant, a literal percent sign). With `plusIsSpace`, '+' becomes ' '
 * (HTML form encoding), used only as a fallback for query strings.
 */
export function percentDecodeToBytes(s: string, plusIsSpace = false): Buffer {
  const raw = Buffer.from(s, 'utf8');
  if (raw.indexOf(0x25) === -1 && !(plusIsSpace && raw.indexOf(0x2b) !== -1)) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw[i + 1]!);
      const lo = hexValue(raw[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[o++] = plusIsSpace && b === 0x2b ? 0x20 : b;
  }
  return out.subarray(0, o);
}

/** SigV4 URI-encodes bytes: unreserved bytes as is, all others `%XX`. */
export function uriEncodeBytes(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_ENCODED[bytes[i]!];
  return out;
}

/** Decodes then re-encodes one component (path segment, query name or value). */
export function reencode(component: string, plusIsSpace = false): string {
  if (UNRESERVED.test(component)) return component; // the common case: nothing to do
  return uriEncodeBytes(percentDecodeToBytes(component, plusIsSpace));
}

/** SigV4 URI-encoding of a plain (decoded) string, e.g. for building test requests. */
export function uriEncode(s: string): string {
  return uriEncodeBytes(Buffer.from(s, 'utf8'));
}
