import { describe, expect, it } from 'vitest';
import type { FakeBrain } from '../../../src/sandbox/vectra-brain/index.js';
import { SCENARIO, seedSandboxScenario } from '../../../src/sandbox/vectra-brain/index.js';
import { lazyRelayGuard } from '../../../src/vendors/vectra/lazy-guard.js';
import { claimsFor, ctxFor, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
useFreshBrain((b) => {
  brain = b;
});

describe('the relay guard the runtime hands out (loaded on first use)', () => {
  it('exists only when the claims configure Vectra', () => {
    expect(lazyRelayGuard(ctxFor())).toBeUndefined();
    expect(lazyRelayGuard(ctxFor({ claims: claimsFor(brain, 'v2.5') }))).toBeDefined();
  });

  it('answers as the guard it stands for, asking Vectra only when asked', async () => {
    const seeded = seedSandboxScenario(brain);
    const guard = lazyRelayGuard(ctxFor({ claims: claimsFor(brain, 'v2.5') }));
    expect(brain.requests).toEqual([]);
    expect(await guard?.isNoBlockHost(seeded.serverId)).toBe(true);
    expect(await guard?.isNoBlockHost(seeded.workstationId)).toBe(false);
    expect((await guard?.protectedHosts())?.map((h) => h.ip)).toEqual([SCENARIO.server.ip]);
  });
});
