/**
 * Usage errors as an operator reads them: the flag or argument that is missing or unknown named as it is
 * typed (`missing required flag --to`, `missing argument NAME`, `unknown flag --settingz`), commands named
 * with spaces (`keys rotate`, never `keys:rotate`), and a hint with the closest command or flag when the
 * typed one is near enough to be a typo ("did you mean"), as oclif's plugin-not-found suggests commands.
 * No prompt and no command run on a guess: the hint says what to type, the exit code is 2 (E_USAGE).
 *
 * Everything here runs on the error path only; nothing is loaded for a command that parses.
 */
import { LibertyError } from '../core/errors.js';

const BIN = 'liberty-crypto';

/** How a command id is shown: with spaces, as it is typed (`keys:rotate` is oclif's id of `keys rotate`). */
export function spacedId(id: string): string {
  return id.replaceAll(':', ' ');
}

/** `see liberty-crypto keys rotate --help`, or the command list when no command is known. */
export function helpHint(commandId: string | undefined): string {
  return commandId ? `see ${BIN} ${spacedId(commandId)} --help` : `${BIN} help lists the commands`;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `stauts` is one edit from
 * `status`, as a typo of two swapped keys should be.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** How far a typed word may be from a name to be taken for a typo of it: a third of its length, 2 to 3 edits. */
function typoLimit(typed: string): number {
  return Math.min(3, Math.max(2, Math.floor(typed.length / 3)));
}

/**
 * The candidate closest to one of the typed forms, when it is near enough to be a typo of it; on a tie
 * the later (longer) form wins. Undefined when nothing is near: a far-fetched guess is no help.
 */
export function closestMatch(typedForms: readonly string[], candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const typed of typedForms) {
    for (const name of candidates) {
      if (name === typed) continue;
      const distance = editDistance(typed, name);
      if (distance > typoLimit(typed)) continue;
      if (!best || distance <= best.distance) best = { name, distance };
    }
  }
  return best?.name;
}

export interface KnownCommands {
  /** command ids as oclif has them (`keys:rotate`), hidden ones left out */
  commands: readonly string[];
  /** topics (`keys`, `audit`) */
  topics: readonly string[];
}

/**
 * The command words of `argv`: the words before the first flag (a colon id as typed, `keys:rotat`, split
 * into its words).
 */
function commandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  if (words[0]?.includes(':')) words.splice(0, 1, ...words[0].split(':'));
  return words;
}

/**
 * The error for a command that does not exist. It names the words as far as the first unknown one (the
 * words after it may be arguments, a blob or a field, and are left out) and hints at the closest command
 * or topic; `forHelp`: the words were given to `help`.
 */
export function unknownCommandError(argv: readonly string[], known: KnownCommands, options: { forHelp?: boolean } = {}): LibertyError {
  const words = commandWords(argv);
  if (words.length === 0) {
    // a flag where the command goes (`liberty-crypto -s DIR status`)
    return new LibertyError('E_USAGE', `a flag before the command: ${argv[0] ?? ''}`, {
      hint: `the command comes first, then its flags (${BIN} status -s DIR); ${BIN} help lists the commands`,
    });
  }
  const commands = known.commands.map(spacedId);
  // a whole command with words after it that it does not take (oclif read them as part of the command):
  // a typo of one of its subcommands (`audit verfiy`), else arguments it does not take (`genkey foo`)
  for (let count = words.length - 1; count > 0; count--) {
    const command = words.slice(0, count).join(' ');
    if (!commands.includes(command)) continue;
    const typed = words.slice(0, count + 1).join(' ');
    const suggestion = closestMatch(
      [typed],
      commands.filter((name) => name.startsWith(`${command} `)),
    );
    if (suggestion) return unknownCommand(typed, suggestion, options);
    const extra = words.slice(count);
    return new LibertyError('E_USAGE', `unexpected argument${extra.length === 1 ? '' : 's'}: ${extra.join(', ')}`, {
      hint: helpHint(command),
    });
  }
  const topics = new Set(known.topics.map(spacedId));
  let knownWords = 0;
  while (knownWords < words.length - 1 && topics.has(words.slice(0, knownWords + 1).join(' '))) knownWords += 1;
  const typed = words.slice(0, knownWords + 1).join(' ');
  // `key rotate`: the unknown word and the one after it may be the command together
  const forms = [typed, words.slice(0, knownWords + 2).join(' ')].filter((form, i, all) => form !== '' && all.indexOf(form) === i);
  return unknownCommand(typed, closestMatch(forms, [...commands, ...topics]), options);
}

function unknownCommand(typed: string, suggestion: string | undefined, options: { forHelp?: boolean }): LibertyError {
  const help = options.forHelp ? 'help ' : '';
  const list = `${BIN} help lists the commands`;
  return new LibertyError('E_USAGE', `unknown command ${typed}`, {
    hint: suggestion ? `did you mean ${BIN} ${help}${suggestion}? (${list})` : list,
  });
}

/** What oclif's parser errors carry besides the message. */
export interface ParserError extends Error {
  /** NonExistentFlagsError: the flags as typed (`--settingz`) */
  flags?: unknown;
  /** RequiredArgsError: the missing args (with their names); UnexpectedArgsError: the extra words */
  args?: unknown;
  /** the parser's input: the flag definitions of the command */
  parse?: { input?: { flags?: Record<string, { char?: string; hidden?: boolean }> } };
}

/**
 * A parser error (unknown flag, missing argument or flag, bad value) as an E_USAGE error: the message
 * rewritten as the operator typed it, the hint naming the command's help and the closest flag.
 */
export function parserUsageError(error: ParserError, commandId: string | undefined): LibertyError {
  const help = helpHint(commandId);
  const unknownFlags = Array.isArray(error.flags) ? error.flags.map(String) : undefined;
  if (unknownFlags && unknownFlags.length > 0) {
    const definitions = Object.entries(error.parse?.input?.flags ?? {}).filter(([, flag]) => !flag.hidden);
    const names = [...definitions.map(([name]) => `--${name}`), '--help'];
    const suggestion = closestMatch(
      unknownFlags.map((flag) => flag.split('=')[0]),
      names,
    );
    const label = unknownFlags.length === 1 ? 'unknown flag' : 'unknown flags';
    return new LibertyError('E_USAGE', `${label} ${unknownFlags.join(', ')}`, {
      hint: suggestion ? `did you mean ${suggestion}? (${help})` : help,
    });
  }
  const missing = missingArgNames(error);
  if (missing.length > 0) {
    const label = missing.length === 1 ? 'missing argument' : 'missing arguments';
    return new LibertyError('E_USAGE', `${label} ${missing.join(' ')}`, { hint: help });
  }
  return new LibertyError('E_USAGE', usageMessage(error.message), { hint: help });
}

/** The names (upper case, as help shows them) of the required args oclif found missing. */
function missingArgNames(error: ParserError): string[] {
  if (!/^missing \d+ required arg/i.test(error.message) || !Array.isArray(error.args)) return [];
  return error.args.map((arg: { name?: unknown }) => (typeof arg?.name === 'string' ? arg.name : '').toUpperCase()).filter(Boolean);
}

/** oclif's message as one lower-case line: no colours, no "see more help", flags named as typed. */
export function usageMessage(text: string): string {
  const lines = text

    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^see more help with --help$/i.test(part));
  // oclif puts the reason on the lines after a header ("The following error occurred:", "Parsing --limit")
  const line = lines.length > 1 ? lines.filter((part, i) => i > 0 || !part.endsWith(':')).join('; ') : (lines[0] ?? text.trim());
  return line
    .replace(/\bMissing required flag ([\w-]+)/gi, 'missing required flag --$1')
    .replace(/\.$/, '')
    .replace(/^./, (c) => c.toLowerCase());
}
