/** The README's table of block clients lists every registered client with its declared data. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blockClients } from '../../src/vendors/block-clients.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const table = readme.slice(
  readme.indexOf('<!-- block-clients:start'),
  readme.indexOf('<!-- block-clients:end'),
);
const rows = table
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((l) => l.split('|').map((c) => c.trim()));

describe('README block-client table', () => {
  it.each(Object.values(blockClients))('has the row of $module as declared', (d) => {
    const row = rows.find((r) => r[1] === `\`${d.module}\``);
    expect(row).toEqual(['', `\`${d.module}\``, d.product, d.capabilities.join(', '), d.permissions, '']);
  });

  it('lists no client that is not registered', () => {
    expect(rows.map((r) => r[1]).sort()).toEqual(
      Object.keys(blockClients)
        .map((m) => `\`${m}\``)
        .sort(),
    );
  });
});
