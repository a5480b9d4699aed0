import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockedElementsOf,
  HOST_BLOCKED_MARKER,
  parseVarIdTag,
  sameTags,
  tagsAfterBlock,
  tagsAfterUnblock,
  varIdTag,
} from '../../src/var/state.js';

const marker = HOST_BLOCKED_MARKER;

describe('VAR tag state', () => {
  it('block adds the marker and one VAR ID tag per id, keeping every existing tag', () => {
    const next = tagsAfterBlock(['finance', 'vectra_host_block'], {
      marker,
      clientName: 'AWS NACL',
      ids: ['a', 'b'],
    });
    expect(next).toEqual(['finance', 'vectra_host_block', marker, 'VAR ID:AWS NACL:a', 'VAR ID:AWS NACL:b']);
  });

  it('block is idempotent and writes nothing for an empty id list', () => {
    const once = tagsAfterBlock([], { marker, clientName: 'C', ids: ['x'] });
    expect(tagsAfterBlock(once, { marker, clientName: 'C', ids: ['x'] })).toEqual(once);
    expect(tagsAfterBlock(['t'], { marker, clientName: 'C', ids: [] })).toEqual(['t']);
  });

  it("unblock of one client keeps the other client's VAR ID tags and the marker (VAR §7.5 loses them)", () => {
    const tags = ['finance', marker, 'VAR ID:PAN Client:10.0.0.5', 'VAR ID:AWS NACL:acl-1:rule-100'];
    const next = tagsAfterUnblock(tags, { marker, clientName: 'AWS NACL', ids: ['acl-1:rule-100'] });
    expect(next).toEqual(['finance', marker, 'VAR ID:PAN Client:10.0.0.5']);
    // VAR's behaviour: external tags plus this client's remaining ids only → the PAN id is gone.
    const varBehaviour = ['finance'];
    expect(next).not.toEqual(varBehaviour);
  });

  it('unblock removes the marker once no client holds ids, plus the extra tags asked for', () => {
    const tags = ['vectra_host_unblock', 'keep', marker, 'VAR ID:C:1', 'VAR ID:C:2'];
    const next = tagsAfterUnblock(tags, {
      marker,
      clientName: 'C',
      ids: ['1', '2'],
      extraRemove: ['vectra_host_unblock'],
    });
    expect(next).toEqual(['keep']);
  });

  it('unblock of part of the ids keeps the rest and the marker', () => {
    const next = tagsAfterUnblock([marker, 'VAR ID:C:1', 'VAR ID:C:2'], {
      marker,
      clientName: 'C',
      ids: ['1'],
    });
    expect(next).toEqual([marker, 'VAR ID:C:2']);
  });

  it('parses VAR ID tags whose ids contain colons', () => {
    expect(parseVarIdTag('VAR ID:Meraki Client:WLAN:cid:netid:Normal')).toEqual({
      client: 'Meraki Client',
      id: 'WLAN:cid:netid:Normal',
    });
    expect(parseVarIdTag('VAR ID:nocolon')).toBeNull();
    expect(parseVarIdTag('VAR ID::x')).toBeNull();
    expect(parseVarIdTag('other')).toBeNull();
    expect(blockedElementsOf(['VAR ID:A:1', 'VAR ID:B:x:y', 'VAR ID:A:2', 'VAR ID:A:1'])).toEqual({
      A: ['1', '2'],
      B: ['x:y'],
    });
  });

  it('refuses a client name with a colon (it would not parse back)', () => {
    expect(() => varIdTag('Bad:Name', '1')).toThrow(TypeError);
  });

  it('never loses a tag it does not own, for any tags and any unblock', () => {
    const tag = fc.string({ minLength: 1, maxLength: 12 });
    const client = fc.constantFrom('A', 'B', 'C');
    fc.assert(
      fc.property(
        fc.array(tag),
        fc.array(fc.tuple(client, tag)),
        client,
        fc.array(tag),
        (foreign, held, who, ids) => {
          const varTags = held.map(([c, id]) => varIdTag(c, id));
          const before = [...foreign, ...(held.length ? [marker] : []), ...varTags];
          const after = tagsAfterUnblock(before, { marker, clientName: who, ids });
          const removed = new Set(ids.map((id) => varIdTag(who, id)));
          for (const t of before) {
            if (t === marker || removed.has(t)) continue;
            expect(after).toContain(t);
          }
          const stillHeld = after.some((t) => parseVarIdTag(t) !== null);
          if (stillHeld && before.includes(marker)) expect(after).toContain(marker);
        },
      ),
    );
  });

  it('compares tag lists as sets', () => {
    expect(sameTags(['a', 'b'], ['b', 'a', 'a'])).toBe(true);
    expect(sameTags(['a'], ['a', 'b'])).toBe(false);
  });
});
