/**
 * The registry of block-client fakes: one line per client, next to the
 * client's line in `src/vendors/block-clients.ts` (the contract suite fails
 * for a client without one). Used by the sandbox, the contract suite and
 * `npm run smoke -- --clients`. Never imported by deployed code.
 */
import type { BlockClientId } from '../vendors/block-clients.js';
import { carbonBlackFake } from './carbon_black/index.js';
import { ciscoAsaHttpFake } from './cisco_asa_http/index.js';
import { ciscoFmcFake } from './cisco_fmc/index.js';
import { falconFake } from './crowdstrike/index.js';
import { ec2Fake } from './ec2/fake.js';
import type { FakeDeclaration } from './fake.js';
import { fortimanagerFake } from './fortimanager/index.js';
import { fortinetFake } from './fortinet/index.js';
import { defenderFake } from './microsoft_defender/index.js';
import { panFake } from './pan/index.js';

/** VAR's test client has no upstream: its whole state is the Vectra tags. */
const noUpstream = (module: string): FakeDeclaration => ({
  module,
  start: async () => ({ url: '', claims: {}, snapshot: () => null, close: async () => undefined }),
});

export const fakes = {
  aws_nacl: ec2Fake,
  fortinet: fortinetFake,
  fortimanager: fortimanagerFake,
  pan: panFake,
  cisco_fmc: ciscoFmcFake,
  cisco_asa_http: ciscoAsaHttpFake,
  carbon_black: carbonBlackFake,
  microsoft_defender: defenderFake,
  crowdstrike: falconFake,
  test_client: noUpstream('test_client'),
} as const satisfies Record<BlockClientId, FakeDeclaration>;
