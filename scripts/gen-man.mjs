// Writes man/liberty-crypto.1 and one page per command (man/liberty-crypto-<id>.1) from the oclif
// manifest, so the pages always match the commands' own metadata. Every page lists the exit codes.
// Fails when package.json "man" does not list exactly these pages.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('oclif.manifest.json', root), 'utf8'));
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
// the exit codes from the built library (npm run build writes dist/ first), never scraped from the source
const { EXIT_STATUS } = await import(new URL('dist/index.js', root).href);
const exitTable = Object.values(EXIT_STATUS).map((status) => [status.code, status.meaning]);

const esc = (text = '') =>
  text
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');
const bin = pkg.oclif.bin;
const date = '2026-11-28';
const commands = Object.values(manifest.commands).sort((a, b) => a.id.localeCompare(b.id));

function exitSection() {
  return ['.SH EXIT STATUS', ...exitTable.flatMap(([code, text]) => ['.TP', `.B ${code}`, esc(text)])].join('\n');
}

function flagLines(command) {
  return Object.values(command.flags)
    .filter((flag) => !flag.hidden)
    .flatMap((flag) => {
      const names = [
        flag.char ? `\\-${flag.char}, ` : '',
        `\\-\\-${flag.name}`,
        flag.type === 'option' ? ` ${flag.helpValue ?? 'VALUE'}` : '',
      ].join('');
      return ['.TP', `.B ${names}`, esc(flag.summary ?? flag.description ?? '')];
    });
}

function examples(command) {
  return (command.examples ?? []).flatMap((example) => {
    const item = typeof example === 'string' ? { command: example } : example;
    const line = item.command.replace(/<%= config.bin %>/g, bin);
    return [item.description ? esc(item.description) : '', '.PP', '.RS', '.nf', esc(line), '.fi', '.RE'].filter(Boolean);
  });
}

function commandPage(command) {
  const name = `${bin}-${command.id.replace(/:/g, '-')}`;
  const args = Object.values(command.args ?? {}).map((arg) => (arg.required ? arg.name.toUpperCase() : `[${arg.name.toUpperCase()}]`));
  return [
    `.TH ${name.toUpperCase()} 1 "${date}" "${bin} ${pkg.version}"`,
    '.SH NAME',
    `${name} \\- ${esc(command.summary ?? '')}`,
    '.SH SYNOPSIS',
    `.B ${bin} ${command.id.replace(/:/g, ' ')}`,
    `${args.join(' ')} [OPTIONS]`,
    '.SH DESCRIPTION',
    esc(command.description ?? command.summary ?? ''),
    '.SH OPTIONS',
    ...flagLines(command),
    ...(command.examples?.length ? ['.SH EXAMPLES', ...examples(command)] : []),
    exitSection(),
    '.SH SEE ALSO',
    `.BR ${bin} (1)`,
    '',
  ].join('\n');
}

function mainPage() {
  return [
    `.TH ${bin.toUpperCase()} 1 "${date}" "${bin} ${pkg.version}"`,
    '.SH NAME',
    `${bin} \\- ${esc(pkg.description)}`,
    '.SH SYNOPSIS',
    `.B ${bin}`,
    'COMMAND [ARGS] [OPTIONS]',
    '.SH DESCRIPTION',
    esc(
      'Keeps the secrets of a Liberty settings directory as ENC: blobs, AES-256-GCM encrypted under a master key held only in the environment (LIBERTY_MASTER_KEY by default). Every command takes --json; errors under --json print {"error": {"code", "message", "hint"}}.',
    ),
    '.SH COMMANDS',
    ...commands.flatMap((command) => [
      '.TP',
      `.B ${command.id.replace(/:/g, ' ')}`,
      `${esc(command.summary ?? '')} See`,
      `.BR ${bin}-${command.id.replace(/:/g, '-')} (1).`,
    ]),
    '.SH ENVIRONMENT',
    '.TP',
    '.B LIBERTY_MASTER_KEY',
    esc('the master key, 64 hex characters (the variable name is configurable in app.toml [crypto] master_key)'),
    '.TP',
    '.B LIBERTY_SETTINGS_DIR',
    esc('the settings directory when --settings is not given (default ./config)'),
    '.TP',
    '.B LIBERTY_AUDIT_LOG',
    esc('the audit log path (default: app.toml [audit] path, else <settings>/audit.jsonl)'),
    '.TP',
    '.B NO_COLOR',
    esc('disables colours'),
    '.SH SHELL COMPLETION',
    esc(
      `bash and zsh. Run \`${bin} autocomplete bash\` (or zsh) once: it writes the completion functions into the cache folder ($XDG_CACHE_HOME/${bin}, by default ~/.cache/${bin}) and prints the setup steps. Then add the line printed by \`${bin} autocomplete script bash\` to ~/.bashrc (zsh: \`${bin} autocomplete script zsh\` to ~/.zshrc) and open a new shell. After an upgrade, run \`${bin} autocomplete --refresh-cache\`.`,
    ),
    exitSection(),
    '',
  ].join('\n');
}

const pages = new Map([[`man/${bin}.1`, mainPage()]]);
for (const command of commands) pages.set(`man/${bin}-${command.id.replace(/:/g, '-')}.1`, commandPage(command));

// package.json "man" lists every page explicitly (npm links those into PREFIX/share/man/man1 on a global
// install); a command added without its page listed would ship a page nobody can reach, so the build stops
const listed = [...(pkg.man ?? [])].sort();
const generated = [...pages.keys()].sort();
if (JSON.stringify(listed) !== JSON.stringify(generated)) {
  const missing = generated.filter((page) => !listed.includes(page));
  const stale = listed.filter((page) => !generated.includes(page));
  throw new Error(
    `gen-man: package.json "man" must list exactly the generated pages; missing: ${missing.join(', ') || '-'}; not generated: ${stale.join(', ') || '-'}`,
  );
}

mkdirSync(new URL('man/', root), { recursive: true });
for (const [page, text] of pages) writeFileSync(new URL(page, root), text);
