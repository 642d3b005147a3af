/** The code-cached command bundle: loading it, for the two entries (src/launch.ts, src/run.ts) and the build. */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Start-up of a command: Node 20 keeps no compiled code between runs of an ES module (no compile cache
 * before Node 22), and compiling the ~450 KB a command loads (oclif's runtime most of it) is the largest
 * single cost of `status`. So the build also writes every command, the fast path and its error output as
 * one CommonJS file, dist/command-bundle.cjs, and V8's code caches of it (scripts/build.mjs; which one a
 * run takes: cacheFileName). It is compiled here with a cache: V8 checks the
 * cache against its own version and flags, and compiles the source as usual when the cache does not fit
 * (`cachedDataRejected`); of the source it checks only the length, so the cache file also names the bundle
 * it was made from by its SHA-256, and a cache of another bundle is not used. A stale or damaged cache
 * costs time, never correctness. A
 * missing or failing bundle leaves the ES modules' fast path. The bundle is only for commands: a process
 * that runs it never loads the ES modules' copies of the same classes, and what it does not run (help,
 * unknown words) goes to oclif as before. Both entries use it: src/launch.ts (a command, without the ES module
 * loader) and src/run.ts.
 */
export const COMMAND_BUNDLE = 'dist/command-bundle.cjs';
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'] as const;

export interface CommandBundle {
  executeFast(argv: string[], root: string, dir: string): Promise<boolean>;
  commands: Record<string, () => Promise<unknown>>;
}

/**
 * Compiles and evaluates the command bundle, with the code cache in `cacheFile` (the contents of
 * dist/command-bundle.cjs.cache) when it was made from this bundle; the build makes the cache with it.
 */
export function compileCommandBundle(root: string, cacheFile?: Buffer): { script: Script; bundle: CommandBundle } {
  const file = join(root, COMMAND_BUNDLE);
  const bytes = readFileSync(file);
  const cachedData = cacheFile && cachedDataFor(bytes, cacheFile);
  const script = new Script(WRAPPER[0] + sourceText(bytes) + WRAPPER[1], { filename: file, cachedData });
  const module = { exports: {} as CommandBundle };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return { script, bundle: module.exports };
}

/**
 * The build writes the bundle in ASCII, which reads the same as Latin-1: a plain copy. (A single character
 * beyond ASCII made Node 20 decode the 1.2 MB into a two-byte string, ~20 ms of every start.) Anything
 * else is decoded as UTF-8.
 */
function sourceText(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** The cache file for `bundle`: its SHA-256, then V8's data. */
export function cacheFileFor(bundle: Buffer, v8Data: Buffer): Buffer {
  return Buffer.concat([digest(bundle), v8Data]);
}

/** V8's data in a cache file, when the file was made for `bundle`. */
function cachedDataFor(bundle: Buffer, cacheFile: Buffer): Buffer | undefined {
  const name = digest(bundle);
  return cacheFile.length > name.length && name.equals(cacheFile.subarray(0, name.length)) ? cacheFile.subarray(name.length) : undefined;
}

function digest(bytes: Buffer): Buffer {
  // node:crypto on first use, not at load: `--version` and help load this module too, and need no hash
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest();
}

/**
 * The code cache for a run whose first word is `word`: the build makes one of its own for the commands
 * that start-up and bulk work wait on (it holds only what that command compiles, and the less V8
 * deserializes, the sooner a command starts), and one for every other command, without `word`.
 */
export function cacheFileName(word?: string): string {
  return word === undefined ? `${COMMAND_BUNDLE}.cache` : `${COMMAND_BUNDLE}.${word}.cache`;
}

/** The command bundle with the code cache for `word` (argv's first word), else the general one, else none. */
export function loadCommandBundle(root: string, word?: string): CommandBundle | undefined {
  let cacheFile: Buffer | undefined;
  // a command word only: argv is not a path to read from
  for (const name of word !== undefined && /^[a-z][a-z-]*$/.test(word) ? [cacheFileName(word), cacheFileName()] : [cacheFileName()]) {
    try {
      cacheFile = readFileSync(join(root, name));
      break;
    } catch {
      // none of that name: the next, else the bundle is compiled without one
    }
  }
  try {
    return compileCommandBundle(root, cacheFile).bundle;
  } catch {
    return undefined;
  }
}
