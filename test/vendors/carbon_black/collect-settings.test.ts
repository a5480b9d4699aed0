import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSettingsFrom } from '../../../src/vendors/carbon_black/collect/settings.js';
import { DirStore } from '../../../src/vendors/carbon_black/collect/store.js';

describe('collection settings', () => {
  it('offers no collection without a store', () => {
    expect(collectSettingsFrom({ CARBON_BLACK_COLLECT_FILES: 'C:\\x.txt' })).toBeUndefined();
  });

  it('reads files, timeout and the store', () => {
    expect(
      collectSettingsFrom({
        COLLECT_BUCKET: 'relay-collect-dev',
        CARBON_BLACK_COLLECT_FILES: ' C:\\Windows\\System32\\drivers\\etc\\hosts ; /etc/passwd;;/etc/passwd',
        CARBON_BLACK_COLLECT_TIMEOUT_S: '600',
      }),
    ).toEqual({
      files: ['C:\\Windows\\System32\\drivers\\etc\\hosts', '/etc/passwd'],
      timeoutS: 600,
      store: { kind: 's3', bucket: 'relay-collect-dev' },
    });
  });

  it.each([
    [{ COLLECT_DIR: '/tmp/x', CARBON_BLACK_COLLECT_FILES: 'hosts' }, 'CARBON_BLACK_COLLECT_FILES'],
    [{ COLLECT_DIR: '/tmp/x', CARBON_BLACK_COLLECT_TIMEOUT_S: '5' }, 'CARBON_BLACK_COLLECT_TIMEOUT_S'],
    [{ COLLECT_DIR: '/tmp/x', CARBON_BLACK_COLLECT_TIMEOUT_S: '9e9' }, 'CARBON_BLACK_COLLECT_TIMEOUT_S'],
    [{ COLLECT_BUCKET: 'Not_A_Bucket' }, 'COLLECT_BUCKET'],
  ])('refuses %o in one line naming the variable', (env, name) => {
    expect(() => collectSettingsFrom(env)).toThrow(new RegExp(`^Invalid environment: ${name} \\(`));
  });
});

describe('directory store', () => {
  it('keeps keys inside its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-store-'));
    try {
      const store = new DirStore(dir);
      await store.put('results/a/files/1-hosts', 'x', 'text/plain');
      expect(await store.list('results/')).toEqual(['results/a/files/1-hosts']);
      expect(await store.get('results/missing')).toBeUndefined();
      for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a\\b']) {
        await expect(store.put(bad, 'x', 'text/plain')).rejects.toThrow(/Invalid object key/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
