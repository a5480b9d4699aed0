/** `npm run bench`: runs every benchmark and prints its figures with the date and machine. */
import { cpus, totalmem } from 'node:os';
import { benchBundle } from './bundle.js';
import { benchCarbonBlack } from './clients/carbon_black.js';
import { benchCiscoAsaHttp } from './clients/cisco_asa_http.js';
import { benchCiscoFmc } from './clients/cisco_fmc.js';
import { benchCrowdStrike } from './clients/crowdstrike.js';
import { benchDefender } from './clients/microsoft-defender.js';
import { benchPan } from './clients/pan.js';
import { benchEngine } from './engine.js';
import { benchLambda } from './lambda.js';
import { benchMemory } from './memory.js';
import { benchNacl } from './nacl.js';
import { benchRelay } from './relay.js';
import { benchVectra } from './vectra.js';

type Bench = [string, () => Promise<Record<string, string | number>>];

const all: Bench[] = [
  ['relay core (in process)', benchRelay],
  ['Vectra observe against the fake brain (50 ms per call)', benchVectra],
  ['AWS NACL blocking against the fake EC2 (20 ms per call)', benchNacl],
  ['pan block client against the fake PAN-OS (20 ms per call)', benchPan],
  ['cisco_fmc block client against the fake FMC (20 ms per call)', benchCiscoFmc],
  ['cisco_asa_http block client against the fake ASA (20 ms per call)', benchCiscoAsaHttp],
  ['Carbon Black quarantine against the fake (20 ms per call)', benchCarbonBlack],
  ['Microsoft Defender isolation against the fake tenant (20 ms per call)', benchDefender],
  ['CrowdStrike Falcon containment against the fake CID (20 ms per call)', benchCrowdStrike],
  ['automated response engine (10,000 hosts, 20 ms per call)', benchEngine],
  ['bundle size and cold start', benchBundle],
  ['Lambda handler: cold start, per request, memory', () => benchLambda()],
  ['memory a token holder can make the process hold', benchMemory],
];

// `npm run bench -- relay nacl` runs only the benchmarks whose name contains one of the words.
const only = process.argv.slice(2).map((a) => a.toLowerCase());
const benches = only.length ? all.filter(([name]) => only.some((w) => name.toLowerCase().includes(w))) : all;

console.log(`# Benchmarks ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);
for (const [name, run] of benches) {
  const figures = await run();
  console.log(`\n## ${name}`);
  for (const [k, v] of Object.entries(figures)) console.log(`- ${k}: ${v}`);
}
process.exit(0);
