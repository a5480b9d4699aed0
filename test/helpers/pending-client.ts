/** A block client that answers pending first (its jobs finish when a test says so). */
import { type BlockClient, type ConfirmAnswer, defineBlockClient } from '../../src/kernel/block-client.js';

type JobState = 'running' | 'done' | 'failed';

/** A client whose block starts a job: pending until the job is done. */
export function pendingFirstClient() {
  const jobs = new Map<string, JobState>();
  const cancelled: string[] = [];
  const client: BlockClient = defineBlockClient(
    { module: 'test_pending', name: 'Pending Client', capabilities: ['host'] },
    {
      blockHost: async (host) => {
        const id = `job-${host.id}`;
        const state = jobs.get(id);
        if (state === 'done') return [id];
        if (state !== 'running') jobs.set(id, 'running');
        return {
          inForce: [],
          pending: [{ id, what: `isolation ${id} running; the next check confirms it` }],
        };
      },
      confirm: async (_t, ids): Promise<ConfirmAnswer> => ({
        inForce: ids.filter((id) => jobs.get(id) === 'done'),
        pending: ids.filter((id) => jobs.get(id) === 'running').map((id) => ({ id, what: `${id} running` })),
        failed: ids
          .filter((id) => jobs.get(id) === 'failed')
          .map((id) => ({ id, reason: 'the machine refused' })),
      }),
      unblockHost: async (host) => {
        const ids = [
          ...(host.blockedElements['Pending Client'] ?? []),
          ...(host.pendingElements['Pending Client'] ?? []),
        ];
        for (const id of ids) {
          cancelled.push(id);
          jobs.delete(id);
        }
        return ids;
      },
    },
  );
  return { client, jobs, cancelled };
}
