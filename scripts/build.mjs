// Build: bundle the commands and the library with esbuild (ESM, code splitting), emit type declarations,
// write the oclif manifest and the man pages. A bundle plus a manifest is what keeps start-up near `node -e 0`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function listEntries(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) return listEntries(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

// The fast path (src/cli/fast-path.ts) resolves command ids with oclif's own normalizeArgv, which
// @oclif/core's exports map does not list: this resolves that one path to the file inside @oclif/core, the
// same module its Command already bundles, so no second copy is made.
const oclifHelpUtil = {
  name: 'oclif-help-util',
  setup(build) {
    build.onResolve({ filter: /^@oclif\/core\/lib\/help\/util\.js$/ }, () => ({ path: join(root, 'node_modules/@oclif/core/lib/help/util.js') }));
  },
};

rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: [...listEntries('src/commands'), ...listEntries('src/hooks'), 'src/index.ts', 'src/run.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // dependencies are bundled too (fewer files to resolve and read at start-up), which is why most are
  // devDependencies in package.json. Real dependencies are what is loaded by name at run time: the oclif
  // plugins (help, autocomplete, loaded by oclif from node_modules), @oclif/core (which they import), and
  // toml-eslint-parser (required on first need by src/core/toml-edit.ts, which esbuild leaves as is).
  // typescript is only reached by oclif's development mode.
  external: ['typescript', '@oclif/plugin-help', '@oclif/plugin-autocomplete'],
  // CommonJS dependencies inside an ES module bundle still call require() for node built-ins
  banner: { js: "import { createRequire as __lcCreateRequire } from 'node:module'; const require = __lcCreateRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  minify: true,
  keepNames: true, // error classes are told apart by name (ExitPromptError from @inquirer)
  logLevel: 'warning',
  plugins: [oclifHelpUtil],
});

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
run(process.execPath, [join(root, 'node_modules/oclif/bin/run.js'), 'manifest']);
run(process.execPath, [join(root, 'scripts/gen-man.mjs')]);
