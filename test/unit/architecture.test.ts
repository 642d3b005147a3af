// The layering of STYLE.md, held by a test: core never reaches for the CLI, the terminal or the
// environment; the library entry (src/index.ts) is core only; commands never reach for files, ciphers
// or TOML parsers directly.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

const importsOf = (file: string) =>
  [...readFileSync(join(REPO, file), 'utf8').matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]);

/** The source file (relative to the repository) a relative import of `file` names; undefined for a package. */
function resolveImport(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return relative(REPO, join(REPO, dirname(file), spec)).replace(/\.js$/, '.ts');
}

/** The sub-folders of src/core: each is a room with one entry file, index.ts. */
const CORE_ROOMS = readdirSync(join(REPO, 'src/core')).filter((name) => statSync(join(REPO, 'src/core', name)).isDirectory());

/** The room of src/core a source file lies in, if any. */
const roomOf = (file: string) => CORE_ROOMS.find((room) => file.startsWith(`src/core/${room}/`));

describe('architecture', () => {
  const core = sources('src/core');
  const commands = sources('src/commands');

  it('finds the sources', () => {
    expect(core.length).toBeGreaterThan(10);
    expect(commands.length).toBeGreaterThan(8);
  });

  it.each(core)('%s stays out of the CLI, the terminal and process.env', (file) => {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const spec of importsOf(file)) {
      expect(spec).not.toMatch(/^(@oclif|chalk|ora|@inquirer)/);
      expect(resolveImport(file, spec) ?? '', spec).toMatch(/^(src\/core\/|$)/);
    }
    expect(text).not.toMatch(/process\.(env|exit|stdout|stderr|stdin)/);
    expect(text).not.toMatch(/console\./);
  });

  // the library API: core plus the process.env default, nothing of the CLI or the terminal
  it('src/index.ts imports only core and never touches the terminal or exits', () => {
    const text = readFileSync(join(REPO, 'src/index.ts'), 'utf8');
    const specs = importsOf('src/index.ts');
    expect(specs.length).toBeGreaterThan(0);
    for (const spec of specs) expect(spec).toMatch(/^\.\/core\//);
    expect(text).not.toMatch(/process\.(exit|stdout|stderr|stdin)/);
    expect(text).not.toMatch(/console\./);
  });

  it.each(commands)('%s leaves files, ciphers and TOML to core', (file) => {
    for (const spec of importsOf(file)) expect(spec).not.toMatch(/^(node:fs|node:crypto|fs|crypto|smol-toml|toml-eslint-parser)/);
  });

  it('src/core has rooms (sub-folders), each with an entry file', () => {
    expect(CORE_ROOMS.length).toBeGreaterThan(0);
    for (const room of CORE_ROOMS) expect(statSync(join(REPO, 'src/core', room, 'index.ts')).isFile(), room).toBe(true);
  });

  // a room's files are its own business: whoever is outside goes through the door
  it.each([...sources('src'), ...sources('test')])('%s enters a room of src/core only by its index.ts', (file) => {
    for (const spec of importsOf(file)) {
      const target = resolveImport(file, spec);
      const room = target && roomOf(target);
      if (!room || roomOf(file) === room) continue;
      expect(target, `${file} imports ${spec}`).toBe(`src/core/${room}/index.ts`);
    }
  });

  it('no file in src/core is longer than 400 lines', () => {
    const long = core.filter((file) => readFileSync(join(REPO, file), 'utf8').split('\n').length > 400);
    expect(long).toEqual([]);
  });

  it('only aead.ts touches node:crypto ciphers', () => {
    for (const file of core.filter((f) => !f.endsWith('aead.ts'))) {
      expect(readFileSync(join(REPO, file), 'utf8')).not.toMatch(/createCipheriv|createDecipheriv/);
    }
  });
});
