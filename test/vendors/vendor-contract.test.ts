/** One contract suite over every relay vendor in the registry. */
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/kernel/config.js';
import type { VendorModule } from '../../src/kernel/vendor.js';
import { vendors } from '../../src/vendors/registry.js';

describe.each(Object.entries(vendors))('vendor %s', (key, entry) => {
  const module = entry as VendorModule<unknown>;

  it('is registered under its own id', () => {
    expect(module.id).toBe(key);
    expect(module.title.length).toBeGreaterThan(0);
  });

  it('declares lower-case observable types', () => {
    expect(module.supportedTypes.size).toBeGreaterThan(0);
    for (const t of module.supportedTypes) expect(t).toBe(t.toLowerCase());
  });

  it('is not configured by a token without its fields', () => {
    expect(module.configure({}, makeConfig())).toBeUndefined();
  });

  it('owns its actions when it can trigger, and offers actions when it owns some', () => {
    expect(Boolean(module.trigger)).toBe(Boolean(module.ownsAction));
    expect(Boolean(module.trigger)).toBe(Boolean(module.respond));
  });

  it('does not claim another vendor’s action ids', () => {
    for (const [other, o] of Object.entries(vendors)) {
      if (other === key || !module.ownsAction) continue;
      for (const id of ['vectra-block-host', 'aws_nacl-deny-ip']) {
        if ((o as VendorModule<unknown>).ownsAction?.(id)) expect(module.ownsAction(id)).toBe(false);
      }
    }
  });
});
