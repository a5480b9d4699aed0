/**
 * v3 (Respond UX) specifics: with RUX "individual detections are no longer
 * scored" (docs.vectra.ai); the v3.4 API still serves detection
 * threat/certainty, so only an answer without them confirms it, and then the
 * sighting's severity is the source entity's urgency.
 */
import { describe, expect, it } from 'vitest';
import type { CtimEntity } from '../../../src/kernel/ctim.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
} from '../../../src/sandbox/vectra-brain/index.js';
import { vectraVendor } from '../../../src/vendors/vectra/index.js';
import { apiCalls, configFor, ctxFor, type Flavour, useFreshBrain } from './helpers.js';

let brain: FakeBrain;
let seeded: SeededScenario;
useFreshBrain((b) => {
  brain = b;
  seeded = seedSandboxScenario(b);
});

/** A brain that no longer scores this detection: no threat/certainty in its answers. */
function unscore(id: number) {
  const d = brain.state.detections.get(id);
  if (!d) throw new Error('no detection');
  for (const k of ['threat', 'certainty', 't_score', 'c_score']) d[k] = null;
}

async function detectionSightings(flavour: Flavour, value: string) {
  const fn = vectraVendor.observe;
  if (!fn) throw new Error('no observe');
  const { data, errors } = await fn(configFor(brain, flavour), [{ type: 'domain', value }], ctxFor());
  return { sightings: (data.sightings ?? []) as CtimEntity[], errors };
}

describe('detection severity on v3', () => {
  it('rates an unscored v3 detection by its source entity\u2019s urgency', async () => {
    unscore(seeded.c2DetectionId);
    const { sightings, errors } = await detectionSightings('v3', SCENARIO.c2Domain);
    expect(errors).toEqual([]);
    expect(sightings).toHaveLength(1);
    // The workstation's entity urgency is 92: Critical (the quadrant of no score is Info).
    expect(sightings[0]?.severity).toBe('Critical');
    expect(sightings[0]?.description).toContain('not scored (entity urgency 92)');
    expect(apiCalls(brain, '/entities/').map((r) => [r.path, r.query.type])).toEqual([
      [`/api/v3.4/entities/${seeded.workstationId}`, 'host'],
    ]);
  });

  it('keeps the quadrant of a v3 detection that still carries its score', async () => {
    const host = brain.state.hosts.get(seeded.workstationId);
    if (host) host.urgency_score = 10;
    const { sightings } = await detectionSightings('v3', SCENARIO.c2Domain);
    expect(sightings[0]?.severity).toBe('Critical');
    expect(apiCalls(brain, '/entities/')).toEqual([]);
  });

  it('falls back to Info with a warning when the entity urgency cannot be read', async () => {
    unscore(seeded.c2DetectionId);
    brain.inject({ path: '/entities/', status: 500, times: 5 });
    const { sightings, errors } = await detectionSightings('v3', SCENARIO.c2Domain);
    expect(sightings[0]?.severity).toBe('Info');
    expect(errors).toEqual([expect.objectContaining({ type: 'warning' })]);
  });

  it('leaves v2.5 (Quadrant UX) on the detection quadrant', async () => {
    unscore(seeded.c2DetectionId);
    const { sightings } = await detectionSightings('v2.5', SCENARIO.c2Domain);
    expect(sightings[0]?.severity).toBe('Info');
    expect(sightings[0]?.description).toContain('threat 0, certainty 0');
  });
});

describe('OAuth failures on v3', () => {
  // Issue 17 item 3: a refusal names Vectra Detect in our words with the status and the OAuth
  // error code only, never the brain's description (which reads like a verdict on the relay's JWT).
  it('name Vectra Detect, the status and the OAuth error code, never the brain\u2019s description', async () => {
    brain.inject({
      path: '/oauth2/token',
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: `Client *disabled* by [admin](http://x) ${'word '.repeat(80)}`,
      },
    });
    const fn = vectraVendor.health;
    if (!fn) throw new Error('no health');
    const err = (await fn(configFor(brain, 'v3'), ctxFor()).catch((e: unknown) => e)) as {
      code: string;
      message: string;
    };
    expect(err.code).toBe('authorization error');
    expect(err.message).toBe(
      'Authorization failed: Vectra Detect rejected the API client credentials (HTTP 401, invalid_client).',
    );
    expect(err.message).not.toContain('disabled');
  });

  it('quote nothing upstream when no exchange completed (connection refused)', async () => {
    const cfg = configFor(brain, 'v3');
    await brain.close();
    const fn = vectraVendor.health;
    if (!fn) throw new Error('no health');
    const err = (await fn(cfg, ctxFor()).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('connection error');
    expect(err.message).not.toContain('invalid_client');
  });
});
