/**
 * Parses the small XML documents clients send (Delete, CompleteMultipartUpload, CreateBucketConfiguration,
 * Tagging…). fast-xml-parser does the tokenising (no DTD/entity expansion, so no billion-laughs); this
 * module bounds the document by its kind (limits.ts: bytes, elements, depth, attributes, so parse time is
 * bounded too), requires well-formed UTF-8, maps every failure to MalformedXML, and gives typed access
 * helpers.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from '../../errors/s3-error.js';
import { MAX_XML_ATTRIBUTES, MAX_XML_DEPTH, XML_DOCUMENTS, type XmlDocumentName, type XmlLimits } from './limits.js';

export { MAX_XML_BODY_BYTES } from './limits.js';

const parser = new XMLParser({
  maxNestedTags: MAX_XML_DEPTH,
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

/** Strict UTF-8: an invalid sequence is an error, never U+FFFD (which could name another, existing key). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads a request body bounded by the size its document kind may have (MaxMessageLengthExceeded beyond). */
export function readXmlBody(body: { readAll(limit: number): Promise<Buffer> }, rootName: XmlDocumentName): Promise<Buffer> {
  return body.readAll(XML_DOCUMENTS[rootName].maxBytes);
}

/**
 * A linear pass over the document that refuses what no S3 request document has, before the parser spends
 * time on it: more elements than its kind allows, deeper nesting than MAX_XML_DEPTH, more attributes on an
 * element than MAX_XML_ATTRIBUTES, and DTDs (`<!DOCTYPE`, `<!ENTITY`). Comments, CDATA and processing
 * instructions are skipped whole. Anything it lets through still goes through the real validator.
 */
export function checkXmlShape(text: string, limits: Pick<XmlLimits, 'maxElements'>): void {
  let elements = 0;
  let depth = 0;
  let i = text.indexOf('<');
  const skipPast = (from: number, end: string): number => {
    const j = text.indexOf(end, from);
    if (j < 0) throw new S3Error('MalformedXML');
    return j + end.length;
  };
  while (i >= 0 && i < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', i)) i = skipPast(i + 4, '-->');
      else if (text.startsWith('<![CDATA[', i)) i = skipPast(i + 9, ']]>');
      else throw new S3Error('MalformedXML'); // <!DOCTYPE, <!ENTITY, …
    } else if (next === 0x3f /* ? */) {
      i = skipPast(i + 2, '?>');
    } else if (next === 0x2f /* / */) {
      depth--;
      i = skipPast(i + 2, '>');
    } else {
      if (++elements > limits.maxElements) throw new S3Error('MalformedXML', { message: 'The XML you provided has more elements than this request allows.' });
      // The tag, honouring quoted attribute values (which may contain '>').
      let j = i + 1;
      let attributes = 0;
      let quote = 0;
      for (; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (quote !== 0) {
          if (c === quote) quote = 0;
        } else if (c === 0x22 || c === 0x27) quote = c;
        else if (c === 0x3d /* = */) {
          if (++attributes > MAX_XML_ATTRIBUTES) throw new S3Error('MalformedXML');
        } else if (c === 0x3e /* > */) break;
      }
      if (j >= text.length) throw new S3Error('MalformedXML');
      if (text.charCodeAt(j - 1) !== 0x2f /* self-closing */ && ++depth > MAX_XML_DEPTH) throw new S3Error('MalformedXML');
      i = j + 1;
    }
    i = text.indexOf('<', i);
  }
}

/**
 * Parses a whole document and returns its root element's content, checking the root's name and holding
 * the document to its kind's limits.
 */
export function parseXml(body: Buffer, rootName: XmlDocumentName): XmlObject {
  const limits = XML_DOCUMENTS[rootName];
  if (body.length > limits.maxBytes) throw new S3Error('MaxMessageLengthExceeded');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (e) {
    throw new S3Error('MalformedXML', { message: 'The XML you provided is not valid UTF-8.', cause: e });
  }
  checkXmlShape(text, limits);
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
