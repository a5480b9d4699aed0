import { describe, expect, it } from 'vitest';
import { fieldsOf, LuceneSyntaxError, parseLucene } from '../../../src/sandbox/vectra-brain/lucene.js';
import { searchMatch } from '../../../src/sandbox/vectra-brain/query.js';

const host = { name: 'wks-fin-042', last_source: '10.20.30.42', state: 'active', threat: 88 };

describe("the fake brain's search syntax", () => {
  it('joins terms with OR and AND (either case), AND binding tighter', () => {
    expect(searchMatch(host, 'host.state:"inactive" OR host.state:"active"')).toBe(true);
    expect(searchMatch(host, 'host.threat:>=50 and host.name:wks*')).toBe(true);
    expect(searchMatch(host, 'host.state:"inactive" OR host.threat:>90 AND host.name:"x"')).toBe(false);
    expect(searchMatch(host, 'host.state:"active" AND NOT host.name:"wks-fin-042"')).toBe(false);
  });

  it('groups with parentheses, and applies a field to a group of values', () => {
    expect(
      searchMatch(
        host,
        'host.state:"active" AND (host.last_source:"1.2.3.4" OR host.last_source:"10.20.30.42")',
      ),
    ).toBe(true);
    expect(searchMatch(host, 'host.last_source:("1.2.3.4" OR "10.20.30.42")')).toBe(true);
    expect(searchMatch(host, 'host.last_source:("1.2.3.4" OR "10.20.30.4")')).toBe(false);
    expect(fieldsOf(parseLucene('a.b:(x OR y) AND (c.d:"1" OR e.f:>2)'))).toEqual([
      'a.b',
      'a.b',
      'c.d',
      'e.f',
    ]);
  });

  it('refuses what it cannot parse', () => {
    for (const q of ['host.name:"x', '(host.name:x', 'host.name:x)', 'x', 'host.name:x AND', 'host.name:a"b'])
      expect(() => parseLucene(q), q).toThrow(LuceneSyntaxError);
  });
});
