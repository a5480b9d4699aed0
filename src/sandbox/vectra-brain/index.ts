/** The fake Vectra brain: server, state, seeding helpers and the sandbox scenario. */

export { SCENARIO, type SeededScenario, seedSandboxScenario } from './scenario.js';
export {
  type AuthKind,
  type FakeBrain,
  type FakeBrainOptions,
  type InjectedFailure,
  type InjectedRequest,
  type LoggedRequest,
  startFakeBrain,
  type TokenCounters,
} from './server.js';
export {
  type AccountSeed,
  BrainState,
  type DetectionSeed,
  type GroupSeed,
  type HostSeed,
  type Note,
  type RawObject,
  type SeededObject,
} from './store.js';
