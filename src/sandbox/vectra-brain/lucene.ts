/**
 * The Lucene subset the fake brain's v2.5 `/search` evaluates: `field:"phrase"`,
 * `field:value*` (wildcards), `field:>=n` (`>`, `<=`, `<`), terms joined by
 * `AND` / `OR` (either case), `NOT`, parentheses, and a field applied to a
 * group of values, `field:(a OR b)`. Sources (README.md): vat's live test
 * `test_vectra_adv_search.py` (`host.state:"active" OR host.state:"inactive"`,
 * `host.certainty:>=50 and host.threat:>=50`) and the search guide in
 * `vectra-ai-research/vectra-ai-mcp-server-qux` `resources/search_resources.py`
 * (grouping with parentheses, `category:(lateral OR exfiltration)`, `NOT`).
 * AND binds tighter than OR. A query it cannot parse is refused (the real
 * brain's answer to one is unknown).
 */

export type Query =
  | { kind: 'term'; field: string; op: '' | '>=' | '>' | '<=' | '<'; value: string; quoted: boolean }
  | { kind: 'and'; parts: Query[] }
  | { kind: 'or'; parts: Query[] }
  | { kind: 'not'; part: Query };

export class LuceneSyntaxError extends Error {}

type Token = { t: 'open' | 'close' | 'and' | 'or' | 'not' } | { t: 'word'; text: string };

/** Splits on whitespace and parentheses, keeping quoted phrases (with `\"` escapes) in their word. */
function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c === '(' ? 'open' : 'close' });
      i++;
    } else {
      let word = '';
      while (i < q.length && !/[\s()]/.test(q[i] as string)) {
        if (q[i] === '"') {
          const end = closingQuote(q, i);
          word += q.slice(i, end + 1);
          i = end + 1;
        } else {
          word += q[i];
          i++;
        }
      }
      const upper = word.toUpperCase();
      if (upper === 'AND' || upper === 'OR' || upper === 'NOT')
        out.push({ t: upper.toLowerCase() as 'and' | 'or' | 'not' });
      else out.push({ t: 'word', text: word });
    }
  }
  return out;
}

function closingQuote(q: string, open: number): number {
  for (let j = open + 1; j < q.length; j++) {
    if (q[j] === '\\') j++;
    else if (q[j] === '"') return j;
  }
  throw new LuceneSyntaxError('unterminated phrase');
}

/** Parses a query string; throws `LuceneSyntaxError`. */
export function parseLucene(q: string): Query {
  const tokens = tokenize(q);
  let pos = 0;
  const peek = () => tokens[pos];
  const expr = (field?: string): Query => {
    const parts = [conj(field)];
    while (peek()?.t === 'or') {
      pos++;
      parts.push(conj(field));
    }
    return parts.length === 1 ? (parts[0] as Query) : { kind: 'or', parts };
  };
  const conj = (field?: string): Query => {
    const parts = [unary(field)];
    while (peek()?.t === 'and') {
      pos++;
      parts.push(unary(field));
    }
    return parts.length === 1 ? (parts[0] as Query) : { kind: 'and', parts };
  };
  const unary = (field?: string): Query => {
    if (peek()?.t === 'not') {
      pos++;
      return { kind: 'not', part: unary(field) };
    }
    return primary(field);
  };
  const primary = (field?: string): Query => {
    const tok = tokens[pos++];
    if (tok?.t === 'open') {
      const inner = expr(field);
      if (tokens[pos++]?.t !== 'close') throw new LuceneSyntaxError('missing )');
      return inner;
    }
    if (tok?.t !== 'word') throw new LuceneSyntaxError('expected a term');
    if (field !== undefined) return term(field, tok.text);
    const m = /^([\w.]+):(.*)$/.exec(tok.text);
    if (!m) throw new LuceneSyntaxError('expected field:value');
    const [, name = '', rest = ''] = m;
    if (rest === '') {
      // `field:(a OR b)`: the group's values all apply to this field.
      if (tokens[pos++]?.t !== 'open') throw new LuceneSyntaxError('expected a value');
      const inner = expr(name);
      if (tokens[pos++]?.t !== 'close') throw new LuceneSyntaxError('missing )');
      return inner;
    }
    return term(name, rest);
  };
  const result = expr();
  if (pos !== tokens.length) throw new LuceneSyntaxError('unexpected input');
  return result;
}

function term(field: string, raw: string): Query {
  const m = /^(>=|>|<=|<)?(.*)$/.exec(raw);
  const op = (m?.[1] ?? '') as '' | '>=' | '>' | '<=' | '<';
  const rest = m?.[2] ?? '';
  const quoted = /^"(.*)"$/s.exec(rest);
  if (rest === '' || (rest.includes('"') && !quoted)) throw new LuceneSyntaxError('bad value');
  const value = quoted ? (quoted[1] ?? '').replace(/\\(["\\])/g, '$1') : rest;
  return { kind: 'term', field, op, value, quoted: quoted !== null };
}

/** Every field name a parsed query uses. */
export function fieldsOf(q: Query): string[] {
  if (q.kind === 'term') return [q.field];
  if (q.kind === 'not') return fieldsOf(q.part);
  return q.parts.flatMap(fieldsOf);
}
