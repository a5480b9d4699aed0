/**
 * `npm run bench`: runs the benchmarks and prints their figures with the date
 * and machine. `npm run bench -- relay nacl` runs some; `--list` names them.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchBundle } from './bundle.js';
import { benchCarbonBlack } from './clients/carbon_black.js';
import { benchCiscoAsaHttp } from './clients/cisco_asa_http.js';
import { benchCiscoFmc } from './clients/cisco_fmc.js';
import { benchCrowdStrike } from './clients/crowdstrike.js';
import { benchFortimanager } from './clients/fortimanager.js';
import { benchFortinet } from './clients/fortinet.js';
import { benchDefender } from './clients/microsoft_defender.js';
import { benchPan } from './clients/pan.js';
import { benchEngine } from './engine.js';
import { benchLambda } from './lambda.js';
import { benchMemory } from './memory.js';
import { benchNacl } from './nacl.js';
import { benchRelay } from './relay.js';
import { benchVectra } from './vectra.js';

interface Bench {
  readonly name: string;
  readonly title: string;
  readonly run: () => Promise<Record<string, string | number>>;
}

export const BENCHES: readonly Bench[] = [
  { name: 'relay', title: 'relay core (in process)', run: benchRelay },
  { name: 'vectra', title: 'Vectra observe against the fake brain (50 ms per call)', run: benchVectra },
  { name: 'nacl', title: 'AWS NACL blocking against the fake EC2 (20 ms per call)', run: benchNacl },
  {
    name: 'fortinet',
    title: 'FortiGate blocking against the fake FortiGate (20 ms per call)',
    run: benchFortinet,
  },
  {
    name: 'fortimanager',
    title: 'FortiManager blocking against the fake FortiManager (20 ms per call)',
    run: benchFortimanager,
  },
  { name: 'pan', title: 'pan block client against the fake PAN-OS (20 ms per call)', run: benchPan },
  {
    name: 'cisco_fmc',
    title: 'cisco_fmc block client against the fake FMC (20 ms per call)',
    run: benchCiscoFmc,
  },
  {
    name: 'cisco_asa_http',
    title: 'cisco_asa_http block client against the fake ASA (20 ms per call)',
    run: benchCiscoAsaHttp,
  },
  {
    name: 'carbon_black',
    title: 'Carbon Black quarantine against the fake (20 ms per call)',
    run: benchCarbonBlack,
  },
  {
    name: 'defender',
    title: 'Microsoft Defender isolation against the fake tenant (20 ms per call)',
    run: benchDefender,
  },
  {
    name: 'crowdstrike',
    title: 'CrowdStrike Falcon containment against the fake CID (20 ms per call)',
    run: benchCrowdStrike,
  },
  { name: 'engine', title: 'automated response engine (10,000 hosts, 20 ms per call)', run: benchEngine },
  { name: 'bundle', title: 'bundle size and cold start', run: benchBundle },
  { name: 'lambda', title: 'Lambda handler: cold start, per request, memory', run: () => benchLambda() },
  { name: 'memory', title: 'memory a token holder can make the process hold', run: benchMemory },
];

const names = (): string => BENCHES.map((b) => `  ${b.name.padEnd(15)} ${b.title}`).join('\n');

const HELP = `Usage: npm run bench -- [name …] [--list] [--help]

Runs the benchmarks named (all when none is) and prints every figure; no figure is
asserted anywhere. Fakes run on 127.0.0.1 with injected latency.

Benchmarks:
${names()}

Options:
  --list      print the benchmark names and exit
  -h, --help  print this help and exit`;

/** The benchmarks to run for the given names; throws naming an unknown one. */
export function select(requested: readonly string[]): Bench[] {
  if (requested.length === 0) return [...BENCHES];
  return requested.map((raw) => {
    const found = BENCHES.find((b) => b.name === raw.toLowerCase());
    if (!found)
      throw new Error(
        `unknown benchmark "${raw}"; the benchmarks are: ${BENCHES.map((b) => b.name).join(', ')}`,
      );
    return found;
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, list: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    console.log(names());
    return 0;
  }
  const benches = select(positionals);
  console.log(`# Benchmarks ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
  for (const bench of benches) {
    const figures = await bench.run();
    console.log(`\n## ${bench.title}`);
    for (const [k, v] of Object.entries(figures)) console.log(`- ${k}: ${v}`);
  }
  return 0;
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(
    `bench: ${err instanceof Error ? err.message : String(err)} (see npm run bench -- --help)\n`,
  );
  process.exit(2);
}
