/**
 * A tiny XML writer for S3 responses. S3's response documents are small and regular, so a builder that
 * escapes text and nests elements in order is all we need (and keeps the wire format under our control).
 */

export type XmlValue = string | number | boolean | null | undefined | RawXml | XmlNode | XmlNode[];
/**
 * An element's children in order: [name, value] pairs; repeated names are allowed. The name '#text'
 * writes its value as text content; a name may include attributes after a space.
 */
export type XmlNode = Array<[string, XmlValue]>;

/**
 * Markup already serialised (and escaped) by the caller, written as is: for long repetitive parts of a
 * document, such as a listing's thousand <Contents>, where building a node per field is most of the cost.
 */
export class RawXml {
  constructor(readonly xml: string) {}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for XML. Characters XML 1.0 cannot carry (most C0 controls) are written as numeric
 * references, as AWS does for keys containing them; so are CR and LF, which a parser would otherwise
 * normalise (CR and CRLF become LF), so a key with line breaks reads back exactly.
 */
export function escapeXml(text: string): string {
  // Most text needs no escaping: testing first is much cheaper than a replace that finds nothing.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPE_ALL, (c) => ESCAPES[c] ?? `&#${c.charCodeAt(0)};`);
}
const NEEDS_ESCAPE = /[&<>"'\u0000-\u0008\u000A-\u001F]/;
const ESCAPE_ALL = /[&<>"'\u0000-\u0008\u000A-\u001F]/g;

function writeValue(out: string[], value: XmlValue): void {
  if (value === null || value === undefined) return;
  if (value instanceof RawXml) {
    out.push(value.xml);
    return;
  }
  if (Array.isArray(value)) {
    for (const child of value) {
      if (Array.isArray(child)) {
        const [name, v] = child as [string, XmlValue];
        if (v === undefined) continue;
        if (name === '#text') {
          writeValue(out, v);
          continue;
        }
        // A name may carry attributes ('Grantee xsi:type="…"'); the closing tag takes the bare name.
        const space = name.indexOf(' ');
        out.push('<', name, '>');
        writeValue(out, v);
        out.push('</', space < 0 ? name : name.slice(0, space), '>');
      }
    }
    return;
  }
  out.push(escapeXml(String(value)));
}

/** Serialises a document with the S3 namespace on the root element. */
export function xmlDocument(root: string, children: XmlNode, namespace = 'http://s3.amazonaws.com/doc/2006-03-01/'): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', '<', root];
  if (namespace) out.push(' xmlns="', namespace, '"');
  out.push('>');
  writeValue(out, children);
  out.push('</', root, '>');
  return out.join('');
}

/**
 * S3 writes timestamps in ISO 8601 with milliseconds, UTC. A listing formats one per key, and neighbouring
 * keys were mostly written in the same second: the date-and-time part of the last second is reused.
 */
export function isoTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond || !Number.isSafeInteger(ms)) {
    const iso = new Date(ms).toISOString();
    if (!Number.isSafeInteger(ms)) return iso;
    lastSecond = sec;
    lastSecondPrefix = iso.slice(0, -4); // 'YYYY-MM-DDTHH:MM:SS.'
  }
  const milli = ms - sec * 1000;
  return `${lastSecondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
let lastSecond = NaN;
let lastSecondPrefix = '';
