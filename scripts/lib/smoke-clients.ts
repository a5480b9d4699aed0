/**
 * `npm run smoke -- --clients <module,…|all>`: per block client, against the
 * sandbox's fakes, the walk every client issue relies on — respond offers
 * "Block host" → block (a pending block is checked again until it is in
 * force) → respond offers "Unblock" → unblock → respond offers "Block" again —
 * with the fake's own state checked where the smoke runs the sandbox itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningFake } from '../../src/sandbox/fake.js';

export interface Action {
  id: string;
  title: string;
  'query-params': Record<string, string>;
}

export interface SmokeIo {
  /** POSTs to the relay and fails on a fatal error; warnings come back with the data. */
  post(
    path: string,
    body: unknown,
  ): Promise<{ data?: unknown; errors?: { type?: string; code: string; message: string }[] }>;
  readonly ip: string;
  /** The in-process fakes, when the smoke started the sandbox (absent against `--url`). */
  readonly fakes?: Readonly<Record<string, RunningFake>>;
  /** How long to wait between checks of a pending block (ms). */
  readonly pendingPollMs?: number;
}

type Step = [string, () => Promise<string>];

export function clientSteps(module: string, io: SmokeIo): Step[] {
  const fake = io.fakes?.[module];
  const offers = async () =>
    ((await io.post('/respond/observables', [{ type: 'ip', value: io.ip }])).data ?? []) as Action[];
  const mine = (actions: Action[], id: string) =>
    actions.find((a) => a.id === id && a['query-params'].client_id === module);
  const trigger = (a: Action) => io.post('/respond/trigger', { 'action-id': a.id, ...a['query-params'] });
  const pending = (r: { errors?: { code: string }[] }) => (r.errors ?? []).some((e) => e.code === 'pending');
  let block: Action | undefined;
  let before = '';
  let during = '';
  const snap = () => JSON.stringify(fake?.snapshot() ?? null);
  return [
    [
      `${module}: respond offers block`,
      async () => {
        block = mine(await offers(), 'vectra-block-host');
        if (!block) throw new Error(`no "Block host … via" action for ${module}`);
        before = snap();
        return block.title;
      },
    ],
    [
      `${module}: block`,
      async () => {
        if (!block) throw new Error('no block action');
        let r = await trigger(block);
        let checks = 0;
        while (pending(r)) {
          if (++checks > 20) throw new Error('still pending after 20 checks');
          await sleep(io.pendingPollMs ?? 500);
          const check = mine(await offers(), 'vectra-block-host');
          if (!check) break; // confirmed by someone else meanwhile
          r = await trigger(check);
        }
        during = snap();
        if (fake && during === before) throw new Error("the fake's state did not change");
        return checks > 0 ? `in force after ${checks} pending check(s)` : 'in force';
      },
    ],
    [
      `${module}: respond offers unblock`,
      async () => {
        const unblock = mine(await offers(), 'vectra-unblock-host');
        if (!unblock?.title.startsWith('Unblock')) throw new Error('no "Unblock host" action');
        return unblock.title;
      },
    ],
    [
      `${module}: unblock`,
      async () => {
        const unblock = mine(await offers(), 'vectra-unblock-host');
        if (!unblock) throw new Error('no unblock action');
        await trigger(unblock);
        fake?.settle?.();
        if (fake && snap() === during) throw new Error("the fake's state did not change back");
        if (!mine(await offers(), 'vectra-block-host')) throw new Error('"Block host" is not offered again');
        return 'released; block offered again';
      },
    ],
  ];
}
