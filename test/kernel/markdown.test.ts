import { describe, expect, it } from 'vitest';
import { escapeMarkdown, markdownDate } from '../../src/kernel/markdown.js';

describe('escapeMarkdown', () => {
  it('turns link, image, table and emphasis syntax into literal text', () => {
    expect(escapeMarkdown('pwned](https://phish.example/login) [x')).toBe(
      'pwned\\]\\(https:\\/\\/phish.example/login\\) \\[x',
    );
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('![i](x)')).toBe('\\!\\[i\\]\\(x\\)');
    expect(escapeMarkdown('*bold* _em_ `code` <b>')).toBe('\\*bold\\* \\_em\\_ \\`code\\` \\<b\\>');
  });

  it('flattens line breaks so no row or block can be added, and escapes block syntax at the start', () => {
    expect(escapeMarkdown('x|\n| a | b |')).toBe('x\\| \\| a \\| b \\|');
    expect(escapeMarkdown('# title')).toBe('\\# title');
    expect(escapeMarkdown('- item')).toBe('\\- item');
    expect(escapeMarkdown('wks-fin-042.corp.example')).toBe('wks-fin-042.corp.example');
  });

  it('cuts long values', () => {
    expect(escapeMarkdown('a'.repeat(1000))).toHaveLength(257);
  });
});

describe('markdownDate', () => {
  it('formats parsed dates and drops anything else', () => {
    expect(markdownDate('2026-01-01T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(markdownDate('2026-01-01T00:00:00Z|\n| evil |')).toBe('');
    expect(markdownDate(null)).toBe('');
  });
});
