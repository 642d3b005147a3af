// `node --import ./record-scripts.mjs ...`: appends, at exit, one line per vm.Script the process compiled to the
// file named by LC_RECORD_SCRIPTS: `FILENAME cached=BOOL rejected=BOOL|undefined`, so a test can tell whether
// the command bundle ran (src/run.ts) and whether V8 took its code cache. It replaces the Script class on
// node:vm's exports, which the bundle reads when it compiles (src/run.ts requires node:vm).
import { appendFileSync } from 'node:fs';
import vm from 'node:vm';

const file = process.env.LC_RECORD_SCRIPTS;
if (file) {
  const lines = [];
  const Original = vm.Script;
  vm.Script = class RecordedScript extends Original {
    constructor(source, options) {
      super(source, options);
      lines.push(`${options?.filename} cached=${options?.cachedData !== undefined} rejected=${this.cachedDataRejected}`);
    }
  };
  process.on('exit', () => appendFileSync(file, lines.map((line) => `${line}\n`).join('')));
}
