/**
 * Text from an upstream product shown in XDR, which renders sighting
 * descriptions and tile cells as Markdown. A host named
 * `x](https://phish.example) [y` would otherwise become a link, and a `|` or a
 * line break would add table cells or rows. Everything upstream is escaped;
 * dates are re-formatted from parsed values, never copied.
 */

/** Longest upstream value shown in one place; longer text is cut with an ellipsis. */
const MAX_CHARS = 256;

/** Escapes every Markdown control character and flattens line breaks. */
export function escapeMarkdown(value: unknown, max = MAX_CHARS): string {
  const text = String(value ?? '').replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return (
    cut
      // Inline syntax anywhere: emphasis, code, links, images, HTML, tables, strikethrough.
      .replace(/[\\`*_{}[\]()!|<>~]/g, (c) => `\\${c}`)
      // Bare URLs auto-link in GitHub-flavoured Markdown.
      .replace(/:\/\//g, ':\\/\\/')
      // Block syntax only matters at the start: headings, lists, quotes.
      .replace(/^\s*([#+\-=>]|\d+\.)/, (m) => `\\${m.trimStart()}`)
  );
}

/** An ISO timestamp from a parsed date, or '' when the value is not a date. */
export function markdownDate(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const t = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(t) ? new Date(t).toISOString() : '';
}
