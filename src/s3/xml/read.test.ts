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

  it('refuses invalid UTF-8 as MalformedXML instead of reading it as U+FFFD (issue 15 #13)', () => {
    const bad = Buffer.concat([Buffer.from('<Delete><Object><Key>'), Buffer.from([0xff, 0xfe]), Buffer.from('</Key></Object></Delete>')]);
    assert.throws(() => parseXml(bad, 'Delete'), (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML');
    // An overlong encoding of '/' and a lone surrogate are not UTF-8 either.
    for (const bytes of [[0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const doc = Buffer.concat([Buffer.from('<Delete><Object><Key>a'), Buffer.from(bytes), Buffer.from('</Key></Object></Delete>')]);
      assert.throws(() => parseXml(doc, 'Delete'), (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML');
    }
    const ok = parseXml(Buffer.from('<Delete><Object><Key>caf\u00e9 \u{1F600}</Key></Object></Delete>'), 'Delete');
    assert.equal(text(asObject(children(ok, 'Object')[0]!), 'Key'), 'caf\u00e9 \u{1F600}');
  });

  it('bounds what the parser is given: elements, depth, attributes, DTDs, bytes (issue 15 #5)', () => {
    const malformed = (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML';
    // 1,000 keys is what DeleteObjects allows; far more elements than that is refused before parsing.
    const thousand = '<Delete>' + '<Object><Key>k</Key><VersionId>null</VersionId></Object>'.repeat(1000) + '</Delete>';
    assert.equal(children(parseXml(Buffer.from(thousand), 'Delete'), 'Object').length, 1000);
    assert.throws(() => parseXml(Buffer.from('<Delete>' + '<a/>'.repeat(100_000) + '</Delete>'), 'Delete'), malformed);
    assert.throws(() => parseXml(Buffer.from('<Delete>' + '<a>'.repeat(50) + '</a>'.repeat(50) + '</Delete>'), 'Delete'), malformed);
    const attrs = Array.from({ length: 20 }, (_, i) => `a${i}="1"`).join(' ');
    assert.throws(() => parseXml(Buffer.from(`<Delete ${attrs}></Delete>`), 'Delete'), malformed);
    assert.throws(() => parseXml(Buffer.from('<!DOCTYPE d [<!ENTITY x "y">]><Delete></Delete>'), 'Delete'), malformed);
    // Attribute values may hold '>' and '=' without confusing the scan; comments and CDATA are skipped.
    const acl = parseXml(
      Buffer.from('<?xml version="1.0"?><!-- <x> --><AccessControlPolicy xmlns="a=>b"><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID><![CDATA[<id>]]></ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>'),
      'AccessControlPolicy',
    );
    assert.ok(acl.AccessControlList);
    // Each kind has its own byte bound: a tagging document is small, a Delete may be megabytes.
    assert.throws(() => parseXml(Buffer.alloc(65 * 1024, 0x20), 'Tagging'), (e: unknown) => e instanceof S3Error && e.code === 'MaxMessageLengthExceeded');
  });
});
