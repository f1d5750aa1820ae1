/** Request XML parsing: entities decoded once, malformed documents refused as MalformedXML. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntities, parseXml, text, children, asObject } from './read.js';
import { S3Error } from '../../errors/s3-error.js';

describe('request XML', () => {
  it('decodes named and numeric references exactly once', () => {
    assert.equal(decodeEntities('&#34;abc&#34;'), '"abc"');
    assert.equal(decodeEntities('&#x22;&lt;&amp;&gt;&apos;&quot;'), '"<&>\'"');
    assert.equal(decodeEntities('&amp;#34;'), '&#34;', 'an escaped ampersand is not decoded twice');
    assert.equal(decodeEntities('&#x1F600;'), '😀');
  });

  it('reads a Go-style CompleteMultipartUpload and a Delete with awkward keys', () => {
    const doc = parseXml(
      Buffer.from('<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>&#34;0123&#34;</ETag></Part></CompleteMultipartUpload>'),
      'CompleteMultipartUpload',
    );
    const part = asObject(children(doc, 'Part')[0]!);
    assert.equal(text(part, 'ETag'), '"0123"');
    const del = parseXml(Buffer.from('<Delete><Object><Key> a&amp;b &#9;tab</Key></Object><Object><Key>x</Key></Object></Delete>'), 'Delete');
    assert.deepEqual(children(del, 'Object').map((o) => text(asObject(o), 'Key')), [' a&b \ttab', 'x']);
  });

  it('refuses malformed documents and the wrong root', () => {
    const malformed = (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML';
    assert.throws(() => parseXml(Buffer.from('<Delete><Object>'), 'Delete'), malformed);
    assert.throws(() => parseXml(Buffer.from('<Other/>'), 'Delete'), malformed);
    assert.throws(() => parseXml(Buffer.from('not xml'), 'Delete'), malformed);
  });
});
