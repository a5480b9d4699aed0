/**
 * The fake EC2 endpoint used by the sandbox and the tests: NACL state with
 * AWS's rules (`model.ts`), Query-protocol XML (`xml.ts`) and the HTTP server
 * with fault injection and a call log (`server.ts`).
 */
export {
  canonicalCidr,
  DEFAULT_DENY_V4,
  DEFAULT_DENY_V6,
  Ec2Fault,
  type FakeEntry,
  type FakeNacl,
  MAX_USER_RULE,
  makeNacl,
  NaclStore,
} from './model.js';
export { type CallRecord, type FakeEc2, type FakeEc2Options, startFakeEc2 } from './server.js';
