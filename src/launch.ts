/**
 * The CommonJS entry behind bin/run.js (bin/package.json makes bin/ CommonJS, the build makes this file
 * dist/launch.cjs). A command of the manifest runs from the code-cached command bundle without Node's ES
 * module loader ever starting, ~10 ms of every start (bench/README.md); everything else (`--version`,
 * help, completion, a word the bundle does not run) goes to the ES entry, dist/run.js, as before.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mayRunCommand } from './cli/command-argv.js';
import { ensureShellKnown } from './cli/login-shell.js';
import { loadCommandBundle } from './command-bundle.js';

export async function launch(entryFile: string): Promise<void> {
  const argv = process.argv.slice(2);
  const root = dirname(dirname(entryFile));
  const dir = pathToFileURL(entryFile).href;
  if (mayRunCommand(argv)) {
    ensureShellKnown();
    const bundle = loadCommandBundle(root, argv[0]);
    if (bundle && (await bundle.executeFast(argv, root, dir))) return;
  }
  // a computed specifier: the build leaves it a real import() of the ES entry
  const entry = pathToFileURL(join(root, 'dist/run.js')).href;
  const { execute } = (await import(entry)) as typeof import('./run.js');
  await execute({ dir, bundleTried: mayRunCommand(argv) });
}
