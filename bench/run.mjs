// Runs the benchmarks (all but the optional `installed`, or those named: `node bench/run.mjs startup rewrap`) and prints a summary
// table with PASS/MISS per target. Exit code: 0 all targets met, 1 a target missed, 2 a benchmark failed.
// `npm run bench` builds first; run `node scripts/build.mjs` yourself before calling this script directly.
import { cpus } from 'node:os';
import { cleanupAll, printTable } from './lib.mjs';
import * as bulk from './bulk.mjs';
import * as growth from './growth.mjs';
import * as migrate from './migrate.mjs';
import * as nonce from './nonce.mjs';
import * as rewrap from './rewrap.mjs';
import * as startup from './startup.mjs';
import * as v1 from './v1.mjs';

// `installed` (pack and install the package, then time its start-up) runs only when named
const ALL = [startup, rewrap, migrate, v1, bulk, growth, nonce, startup.installed];
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !ALL.some((bench) => bench.name === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (known: ${ALL.map((bench) => bench.name).join(', ')})`);
  process.exit(2);
}
const selected = wanted.length > 0 ? ALL.filter((bench) => wanted.includes(bench.name)) : ALL.filter((bench) => !bench.optional);

console.log(
  `liberty-crypto benchmarks: node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString()}`,
);
const results = [];
let failed = false;
for (const bench of selected) {
  console.log(`\n== ${bench.name}`);
  try {
    results.push(...(await bench.run()));
  } catch (error) {
    failed = true;
    console.error(`${bench.name}: failed: ${error.stack ?? error}`);
    results.push({
      benchmark: bench.name,
      measure: '(benchmark failed)',
      value: String(error.message).split('\n')[0],
      target: '-',
      pass: false,
    });
  } finally {
    cleanupAll();
  }
}

console.log('\n== summary');
printTable(
  ['benchmark', 'measure', 'value', 'target', 'result'],
  results.map((r) => [r.benchmark, r.measure, r.value, r.target, r.pass === null ? 'info' : r.pass ? 'PASS' : 'MISS']),
);
process.exitCode = failed ? 2 : results.every((r) => r.pass !== false) ? 0 : 1;
