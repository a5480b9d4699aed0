/** The object store the settings name: the stack's S3 bucket, or a local directory. */
import type { CollectSettings } from './settings.js';
import { DirStore, type ObjectStore } from './store.js';

const stores = new Map<string, ObjectStore>();

export async function openStore(settings: CollectSettings): Promise<ObjectStore> {
  const key = settings.store.kind === 's3' ? `s3:${settings.store.bucket}` : `dir:${settings.store.dir}`;
  const known = stores.get(key);
  if (known) return known;
  const store: ObjectStore =
    settings.store.kind === 's3'
      ? new (await import('./s3-store.js')).S3Store(settings.store.bucket)
      : new DirStore(settings.store.dir);
  // One per bucket or directory for the life of the process: a handful at most.
  stores.set(key, store);
  return store;
}
