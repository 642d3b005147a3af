// Build: bundle the commands and the library with esbuild (ESM, code splitting), emit type declarations,
// write the oclif manifest and the man pages. A bundle plus a manifest is what keeps start-up near `node -e 0`.
import { tokenizer } from 'acorn';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';

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
    build.onResolve({ filter: /^@oclif\/core\/lib\/help\/util\.js$/ }, () => ({
      path: join(root, 'node_modules/@oclif/core/lib/help/util.js'),
    }));
  },
};

// Start-up: oclif's Command module requires, at its top, modules that only other paths use: the Config
// class (Command.run's Config.load, which the fast path never calls and oclif's main module loads itself),
// the error handler (which loads the whole help system; only bin/run.js's exit path calls it), ejs (help
// templates) and what colours and wraps a message (only when one is shown). Those requires are deferred to the first use of what they export, with oclif's code
// otherwise unchanged. @oclif/core is pinned to an exact version; a line not found fails the build, so
// an upgrade cannot silently drop a deferral.
const DEFERRED_REQUIRES = {
  // ux (spinner, colours, JSON colouring) only in Command's log, logJson and catch, which BaseCommand overrides
  'node_modules/@oclif/core/lib/command.js': ['const config_1 = require("./config");', 'const ux_1 = require("./ux");'],
  'node_modules/@oclif/core/lib/parser/help.js': ['const ux_1 = require("../ux");'],
  // the help system, for the --help flag's parse (this CLI declares no such flag: oclif's run handles --help)
  'node_modules/@oclif/core/lib/flags.js': ['const help_1 = require("./help");'],
  'node_modules/@oclif/core/lib/errors/index.js': ['var handle_1 = require("./handle");'],
  'node_modules/@oclif/core/lib/help/util.js': ['const ejs_1 = __importDefault(require("ejs"));'],
  // what renders an error's text (used when one is shown, not when the class is loaded)
  'node_modules/@oclif/core/lib/errors/errors/cli.js': [
    'const clean_stack_1 = __importDefault(require("clean-stack"));',
    'const indent_string_1 = __importDefault(require("indent-string"));',
    'const wrap_ansi_1 = __importDefault(require("wrap-ansi"));',
    'const theme_1 = require("../../ux/theme");',
  ],
  // supports-color loads os and tty: only when a colour is asked for
  'node_modules/@oclif/core/lib/ux/theme.js': [
    'const ansis_1 = __importDefault(require("ansis"));',
    'const supports_color_1 = require("./supports-color");',
  ],
  // node built-ins a command rarely needs, each with a tail of modules node compiles on load: debug (only
  // when oclif logs, e.g. under DEBUG=*) loads tty and net; readline only for a flag read from stdin;
  // fs/promises only for oclif's file flags, which this CLI does not declare
  'node_modules/@oclif/core/lib/logger.js': ['const debug_1 = __importDefault(require("debug"));'],
  'node_modules/@oclif/core/lib/parser/parse.js': ['const node_readline_1 = require("node:readline");'],
  'node_modules/@oclif/core/lib/util/fs.js': ['const promises_1 = require("node:fs/promises");'],
};
const LAZY_HELPER =
  'function __lcDeferred(load) { let loaded; const target = () => (loaded ??= load()); ' +
  'return new Proxy({}, { get: (_, key) => target()[key], has: (_, key) => key in target() }); }\n';
const deferRequires = {
  name: 'defer-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/ }, (args) => {
      const rel = relative(root, args.path).split(sep).join('/');
      const lines = DEFERRED_REQUIRES[rel];
      if (!lines) return undefined;
      let text = readFileSync(args.path, 'utf8');
      for (const line of lines) {
        const match = /^(const|var) (\w+) = (.+);$/.exec(line);
        if (!match || !text.includes(line)) throw new Error(`build: ${rel} no longer has the line to defer: ${line}`);
        text = text.replace(line, `${match[1]} ${match[2]} = __lcDeferred(() => ${match[3]});`);
      }
      return { contents: LAZY_HELPER + text, loader: 'js' };
    });
  },
};

// Start-up: the strict TOML parser (toml-eslint-parser) is bundled like the other dependencies. Core loads
// it on first need with `createRequire(import.meta.url)('toml-eslint-parser')`, a call esbuild cannot follow,
// so at run time node resolved it from node_modules: package.json lookups for the package scope and its
// `exports` map, and a separate ES module graph to compile. Here that one call becomes a plain `require`,
// which esbuild bundles and still evaluates lazily (its module body runs on the first call only). The file
// is found by the call, not by its path (src/core is being reorganised); the build fails if no file has it.
const SYNTAX_PARSER_CALL = "createRequire(import.meta.url)('toml-eslint-parser')";
let syntaxParserBundled = 0;
const bundleSyntaxParser = {
  name: 'bundle-syntax-parser',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]core[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(SYNTAX_PARSER_CALL)) return undefined;
      syntaxParserBundled += 1;
      return { contents: text.replace(SYNTAX_PARSER_CALL, "require('toml-eslint-parser')"), loader: 'ts' };
    });
  },
};

// Start-up: a static ES `import` of a node built-in makes node build the module's ES facade, which reads
// every export once, and reading some of them loads more: `node:process` loads process.report, `node:util`
// parseArgs and MIMEType, `node:crypto` webcrypto, `node:fs` fs/promises (and readline with it). About
// 10-15 ms of every start. A `require` of the built-in reads nothing, so each static import of one is
// bundled as a one-line CommonJS module that requires it: esbuild then reads an export where it is used,
// as it does for the CommonJS dependencies (the banner's `require`). Dynamic `import()` is left as is.
const BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((name) => name.replace(/[/]/g, '\\/')).join('|')})$`);
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(build) {
    build.onResolve({ filter: BUILTIN }, (args) =>
      args.kind === 'import-statement' ? { path: args.path, namespace: 'lc-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lc-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});\n`,
      loader: 'js',
    }));
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
  // plugins (help, autocomplete, loaded by oclif from node_modules) and @oclif/core (which they import).
  // typescript is only reached by oclif's development mode.
  external: ['typescript', '@oclif/plugin-help', '@oclif/plugin-autocomplete'],
  // CommonJS dependencies inside an ES module bundle still call require() for node built-ins
  banner: { js: "import { createRequire as __lcCreateRequire } from 'node:module'; const require = __lcCreateRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: false,
  minify: process.env.LC_NO_MINIFY !== '1',
  keepNames: true, // error classes are told apart by name (ExitPromptError from @inquirer)
  logLevel: 'warning',
  plugins: [oclifHelpUtil, deferRequires, bundleSyntaxParser, builtinsByRequire],
});

// The command bundle (src/run.ts, compileCommandBundle): every command, the fast path and its error output
// as one CommonJS file, whose V8 code cache is written next to it. A command's module is evaluated on
// first use (the map below); oclif's CommonJS modules inside it likewise.
const commandFiles = listEntries('src/commands');
const commandBundleEntry = [
  `export { compileCommandBundle } from './src/command-bundle.ts';`,
  `import { executeFast as execute } from './src/run.ts';`,
  'export const commands = {',
  ...commandFiles.map(
    (file) =>
      `  ${JSON.stringify(`dist/${file.slice('src/'.length).replace(/\.ts$/, '.js')}`)}: () => import(${JSON.stringify(`./${file}`)}),`,
  ),
  '};',
  "export const executeFast = (argv, root, dir) => execute(argv, root, dir, (relativePath) => commands[relativePath.join('/')]?.());",
].join('\n');
await build({
  absWorkingDir: root,
  stdin: { contents: commandBundleEntry, resolveDir: root, sourcefile: 'command-bundle.js', loader: 'js' },
  outfile: 'dist/command-bundle.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['typescript', '@oclif/plugin-help', '@oclif/plugin-autocomplete'],
  // src/cli/file-authority.ts asks where its own code is: the bundle's file, as a chunk's in the ES build
  define: { 'import.meta.url': '__lcImportMetaUrl' },
  banner: { js: "const __lcImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  sourcemap: false,
  minify: process.env.LC_NO_MINIFY !== '1',
  keepNames: false,
  logLevel: 'warning',
  plugins: [oclifHelpUtil, deferRequires, bundleSyntaxParser],
});

// The command bundle in ASCII only: src/run.ts then reads it as Latin-1 (a copy), not as UTF-8, which Node 20
// decodes at ~20-30 ms for its 1.2 MB on every start. esbuild escapes every non-ASCII character except in
// regular expression literals (a dependency strips terminal escapes with a raw U+009B); there `\uXXXX`
// means the same code unit. Anything else non-ASCII fails the build, to be looked at.
function escapeNonAscii(file) {
  const source = readFileSync(file, 'utf8');
  if (!/[^\0-\x7f]/.test(source)) return;
  const escapable = []; // the ranges of string and regular expression tokens, and of comments (unminified builds)
  const onComment = (_block, _text, start, end) => escapable.push({ start, end });
  for (const token of tokenizer(source, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true, onComment })) {
    if (!/[^\0-\x7f]/.test(source.slice(token.start, token.end))) continue;
    if (token.type.label !== 'regexp' && token.type.label !== 'string')
      throw new Error(`build: a non-ASCII character outside a string or regular expression in ${file} at ${token.start}`);
    escapable.push({ start: token.start, end: token.end });
  }
  escapable.sort((a, b) => a.start - b.start);
  const escape = (text) => text.replace(/[^\0-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const parts = [];
  let cursor = 0;
  for (const { start, end } of escapable) {
    parts.push(source.slice(cursor, start), escape(source.slice(start, end)));
    cursor = end;
  }
  parts.push(source.slice(cursor));
  const ascii = parts.join('');
  if (/[^\0-\x7f]/.test(ascii)) throw new Error(`build: ${file} still holds a non-ASCII character`);
  writeFileSync(file, ascii);
}
escapeNonAscii(join(root, 'dist/command-bundle.cjs'));

// The CommonJS entry bin/run.js requires (src/launch.ts): the fast-path check and the loading of the command
// bundle, built-ins only, so a command reaches the bundle without Node's ES module loader.
await build({
  absWorkingDir: root,
  entryPoints: ['src/launch.ts'],
  outfile: 'dist/launch.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  minify: process.env.LC_NO_MINIFY !== '1',
  logLevel: 'warning',
});

if (syntaxParserBundled !== 2)
  throw new Error(
    `build: expected one file of src/core to load toml-eslint-parser with ${SYNTAX_PARSER_CALL}, found ${syntaxParserBundled / 2}`,
  );

const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
run(process.execPath, [join(root, 'node_modules/oclif/bin/run.js'), 'manifest']);
run(process.execPath, [join(root, 'scripts/gen-man.mjs')]);

// The code caches of the command bundle, each made in a fresh node by running commands on scratch
// directories (one per format), so that what they call is compiled and in the cache; then checked in
// another node: V8 must accept it. A cache holds what its runs compiled, and deserializing more costs
// every start, so the commands that start-up and bulk work wait on have their own, named by the command's
// first word (src/command-bundle.ts); the general one also evaluates every command module, for the others.
const CODE_CACHES = [
  { word: undefined, loadAll: true, runs: [['status'], ['fingerprint'], ['status', '--json']] },
  { word: 'status', runs: [['status'], ['status', '--json']] },
  { word: 'fingerprint', runs: [['fingerprint']] },
  { word: 'encrypt', runs: [['encrypt', '--all']] },
  {
    word: 'rewrap',
    runs: [
      ['rewrap', '--check'],
      ['rewrap', '--all'],
    ],
  },
];
const cacheScript = ({ word, loadAll = false, runs }, check) => `
  import { readFileSync, writeFileSync } from 'node:fs';
  const { cacheFileFor, cacheFileName, compileCommandBundle, COMMAND_BUNDLE } = await import(${JSON.stringify(new URL('../dist/run.js', import.meta.url).href)});
  const root = ${JSON.stringify(root)};
  const cacheFile = root + '/' + cacheFileName(${JSON.stringify(word)});
  const { script, bundle } = compileCommandBundle(root, ${check} ? readFileSync(cacheFile) : undefined);
  if (${check}) { if (script.cachedDataRejected !== false) throw new Error('build: the code cache ' + cacheFile + ' was not used (not made for the bundle, or V8 rejected it)'); }
  else {
    if (${loadAll}) for (const load of Object.values(bundle.commands)) await load();
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dist = ${JSON.stringify(new URL('../bin/run.js', import.meta.url).href)};
    for (const format of ['v1', 'v2']) {
      const dir = mkdtempSync(${JSON.stringify(join(tmpdir(), 'lc-build-cache-'))});
      writeFileSync(dir + '/app.toml', '[app]\\nname = "cache"\\n\\n[crypto]\\nmaster_key = "\${LIBERTY_MASTER_KEY}"\\nformat = "' + format + '"\\n');
      writeFileSync(dir + '/db.toml', '[db]\\nuser = "u"\\npassword = "p"\\n');
      for (const argv of ${JSON.stringify(runs)}) {
        const ran = await bundle.executeFast([...argv, '--settings', dir], root, dist);
        // a failing run would only leave the cache smaller, unnoticed: the build stops instead
        if (!ran || (process.exitCode ?? 0) !== 0) {
          const outcome = ran ? 'exited ' + process.exitCode : 'did not run in the bundle';
          writeFileSync(2, 'build: the warming run "' + argv.join(' ') + '" (' + format + ') for ' + cacheFile + ' ' + outcome + '\\n');
          process.exit(1);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
    process.exitCode = 0;
    writeFileSync(cacheFile, cacheFileFor(readFileSync(root + '/' + COMMAND_BUNDLE), script.createCachedData()));
  }
`;
for (const cache of CODE_CACHES) {
  // stdout and stderr of the warming runs are not the build's, but a failed run's own line is
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', cacheScript(cache, false)], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LIBERTY_MASTER_KEY: 'ab'.repeat(32) },
    });
  } catch (error) {
    const said = String(error.stderr ?? '')
      .split('\n')
      .filter((line) => line.startsWith('build: '));
    throw new Error(said.join('\n') || `build: making the code cache for ${cache.word ?? 'every other command'} failed`, { cause: error });
  }
  run(process.execPath, ['--input-type=module', '-e', cacheScript(cache, true)]);
}
