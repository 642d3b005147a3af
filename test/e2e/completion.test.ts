// Shell completion (@oclif/plugin-autocomplete): `autocomplete bash|zsh` builds the completion functions
// into the cache folder and prints the setup steps; `autocomplete script SHELL` prints the line for the
// shell's rc file. HOME and XDG_CACHE_HOME point into a temporary folder: nothing lands in the real home.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { homeEnv, makeToolDir, runBash, type ToolDir } from '../support/shell.js';

let home: string;
let tools: ToolDir;
let env: Record<string, string>;
const cache = () => join(home, '.cache/liberty-crypto/autocomplete');

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'lc-completion-'));
  env = homeEnv(home);
  tools = makeToolDir();
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  tools?.cleanup();
});

describe('autocomplete', () => {
  it.each(['bash', 'zsh'])(
    '%s: builds the cache in XDG_CACHE_HOME and prints the setup steps on stdout, the progress on stderr',
    async (shell) => {
      const result = await runCli(['autocomplete', shell], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`liberty-crypto autocomplete script ${shell}`);
      expect(result.stdout).not.toContain('Building the autocomplete cache');
      expect(result.stderr).toContain('Building the autocomplete cache');
      expect(existsSync(join(cache(), `${shell}_setup`))).toBe(true);
      expect(existsSync(join(home, '.cache/liberty-crypto'))).toBe(true);
    },
  );

  it('the bash function knows every command with its flags, topics with spaces', async () => {
    await runCli(['autocomplete', '--refresh-cache'], { env });
    const bash = readFileSync(join(cache(), 'functions/bash/liberty-crypto.bash'), 'utf8');
    expect(bash).toMatch(/^rewrap --json --settings --check --all --files --quiet$/m);
    expect(bash).toMatch(/^keys:rotate --json --settings --to$/m);
    expect(bash).toMatch(/^audit:verify --json --settings --head$/m);
    expect(bash).toContain('complete -F _liberty-crypto_autocomplete liberty-crypto');
  });

  it('the zsh function knows the commands, with their summaries, and the keys subcommands', async () => {
    await runCli(['autocomplete', '--refresh-cache'], { env });
    const zsh = readFileSync(join(cache(), 'functions/zsh/_liberty-crypto'), 'utf8');
    expect(zsh.startsWith('#compdef liberty-crypto')).toBe(true);
    expect(zsh).toContain('"rewrap[re-encrypt every blob under the current master key]"');
    expect(zsh).toContain('"rotate[make a new key the master; the previous master becomes a legacy key]"');
    expect(zsh).toContain('"drop-legacy[');
    const setup = await runCli(['autocomplete', 'script', 'zsh'], { env });
    expect(setup.stdout).toContain(join(cache(), 'zsh_setup'));
    expect(readFileSync(join(cache(), 'zsh_setup'), 'utf8')).toContain(join(cache(), 'functions/zsh'));
  });

  it('bash completes commands, subcommands and flags once the script line is sourced', async () => {
    await runCli(['autocomplete', '--refresh-cache'], { env });
    // what `liberty-crypto autocomplete script bash >> ~/.bashrc` adds, then what bash does on TAB
    const line = [
      'eval "$(liberty-crypto autocomplete script bash)"',
      'comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _liberty-crypto_autocomplete; printf "%s|" "$*"; printf " %s" $(printf "%s\\n" "${COMPREPLY[@]}" | sort -u); echo; }',
      'comp liberty-crypto ""',
      'comp liberty-crypto re',
      'comp liberty-crypto keys ""',
      'comp liberty-crypto keys ro',
      'comp liberty-crypto rewrap --c',
      'comp liberty-crypto keys rotate --',
    ].join('\n');
    const result = await runBash(line, { cwd: home, env, path: [tools.dir] });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'liberty-crypto | audit autocomplete decrypt edit encrypt fingerprint genkey help init keys reveal rewrap status',
      'liberty-crypto re| reveal rewrap',
      'liberty-crypto keys | add-legacy drop-legacy rotate',
      'liberty-crypto keys ro| rotate',
      'liberty-crypto rewrap --c| --check',
      'liberty-crypto keys rotate --| --json --settings --to',
    ]);
  });
});
