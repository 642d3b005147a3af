// `node --require ./record-scripts.cjs ...`: appends, at exit, one line per vm.Script the process compiled to the
// file named by LC_RECORD_SCRIPTS: `FILENAME cached=BOOL rejected=BOOL|undefined`, so a test can tell whether
// the command bundle ran (src/run.ts) and whether V8 took its code cache.
const vm = require('node:vm');
const { appendFileSync } = require('node:fs');

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
