import { describe, expect, it } from 'vitest';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { claimsFor, configFor, ctxFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
useFreshBrain((b) => {
  brain = b;
});

describe('vectraVendor', () => {
  it('identifies itself and its observable types', () => {
    expect(vectraVendor.id).toBe('vectra');
    expect(vectraVendor.title).toBe('Vectra Detect');
    expect([...vectraVendor.supportedTypes].sort()).toEqual([
      'domain',
      'hostname',
      'ip',
      'ipv6',
      'mac_address',
      'user',
    ]);
  });

  it('is configured iff vectra_url is present', () => {
    const config = ctxFor().config;
    expect(vectraVendor.configure({}, config)).toBeUndefined();
    expect(vectraVendor.configure(claimsFor(brain, 'v2.5'), config)?.apiVersion).toBe('v2.5');
  });

  it.each(['v2.5', 'v3'] as Flavour[])('health makes one cheap authenticated call (%s)', async (flavour) => {
    await vectraVendor.health?.(configFor(brain, flavour), ctxFor());
    const api = brain.requests.filter((r) => r.path.includes('/hosts'));
    expect(api).toHaveLength(1);
    expect(api[0]?.query).toEqual({ page_size: '1' });
    expect(brain.tokenRequests.total).toBe(flavour === 'v3' ? 1 : 0);
  });

  it('health names Vectra Detect when it rejects the API token, without its text', async () => {
    brain.inject({ path: '/hosts', status: 401, times: 5, body: { detail: 'Invalid token.' } });
    await expect(vectraVendor.health?.(configFor(brain, 'v2.5'), ctxFor())).rejects.toMatchObject({
      code: 'authorization error',
      message: 'Authorization failed: Vectra Detect rejected the API token (HTTP 401).',
    });
  });
});
