/**
 * VAR's `test_client`, kept compatible: blocking answers one uuid per object
 * and unblocking answers the ids stored for this client. It touches nothing
 * outside Vectra's tags, which makes it the safe way to trial the block
 * workflow (and the sandbox's "already blocked by VAR" host uses it).
 *
 * Unlike VAR's (uuid4), the uuid is derived from the object, so two
 * concurrent blocks of one host agree on the element and leave one tag.
 */
import { createHash } from 'node:crypto';
import type { BlockedElements } from '../../kernel/model.js';

/** The display name VAR writes into `VAR ID:Test Client:<uuid>` tags. Never change it. */
export const TEST_CLIENT_NAME = 'Test Client';

/** A stable uuid-shaped id for one Vectra object. */
export function elementIdFor(kind: string, id: number | string): string {
  const h = createHash('sha256').update(`vectra-relay-test-client:${kind}:${id}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const storedIds = (blocked: BlockedElements): string[] => [...(blocked[TEST_CLIENT_NAME] ?? [])];
