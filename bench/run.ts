/** `npm run bench`: runs every benchmark and prints its figures with the date and machine. */
import { cpus, totalmem } from 'node:os';
import { benchRelay } from './relay.js';

type Bench = [string, () => Promise<Record<string, string | number>>];

const benches: Bench[] = [['relay core (in process)', benchRelay]];

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
