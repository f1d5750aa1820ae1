/**
 * Parses the small XML documents clients send (Delete, CompleteMultipartUpload, CreateBucketConfiguration,
 * Tagging…). fast-xml-parser does the tokenising (no DTD/entity expansion, so no billion-laughs); this
 * module bounds the size, maps every parse failure to MalformedXML, and gives typed access helpers.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../../errors/s3-error.js';

/** AWS rejects request documents over about 1 MB; DeleteObjects with 1000 max-length keys fits in that. */
export const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  // Entities are decoded by `text()` in one pass (see decodeEntities): the parser's own decoding leaves
  // numeric references alone, and Go clients (rclone, minio-go) write quotes in ETags as &#34;.
  processEntities: false,
  htmlEntities: false,
  isArray: () => false,
});

export type XmlObject = { [name: string]: XmlElement };
export type XmlElement = string | XmlObject | XmlElement[];

/** XML 1.0's Char production: tab, LF, CR and everything from space up, less surrogates, U+FFFE and U+FFFF. */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** Parses a whole document and returns its root element's content, checking the root's name. */
export function parseXml(body: Buffer, rootName: string): XmlObject {
  const text = body.toString('utf8');
  if (NOT_XML_CHAR.test(text) || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new S3Error('MalformedXML', { cause: e });
  }
  const root = doc[rootName];
  if (root === undefined) throw new S3Error('MalformedXML');
  if (root === '' ) return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new S3Error('MalformedXML');
  return root as XmlObject;
}

/** Child elements named `name`, always as an array (XML repeats elements for lists). */
export function children(node: XmlObject, name: string): XmlElement[] {
  const v = node[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML's five named entities and numeric character references, in one pass (no double decoding). */
export function decodeEntities(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (m, ref: string) => {
    if (ref[0] !== '#') return NAMED[ref] ?? m;
    const cp = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    // Only characters XML 1.0 allows may be referenced (AWS refuses a key such as "a&#1;b" the same way).
    if (!isXmlChar(cp)) throw new S3Error('MalformedXML');
    return String.fromCodePoint(cp);
  });
}

/** The text of a child element, or undefined when absent. A non-text child is MalformedXML. */
export function text(node: XmlObject, name: string): string | undefined {
  const v = node[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return decodeEntities(v);
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return '';
  throw new S3Error('MalformedXML');
}

export function asObject(e: XmlElement): XmlObject {
  if (e === '') return {};
  if (typeof e !== 'object' || Array.isArray(e)) throw new S3Error('MalformedXML');
  return e;
}
