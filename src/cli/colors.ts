/**
 * Colours for human output: only on a terminal, never with NO_COLOR set, never under --json (callers
 * render text only without --json). chalk costs start-up time, so it is loaded when colours are used.
 *
 * A painted text is a Painted, not a string: say() and note() escape every control character of the
 * strings they print, and a Painted is the one way our own colour codes get through (its text is
 * escaped when it is painted).
 */
import { escapeControlChars } from '../core/terminal-text.js';

/** Text ready for the terminal: the words escaped, the colour codes ours. */
export class Painted {
  constructor(readonly terminalText: string) {}
}

export interface Paint {
  problem(text: string): Painted;
  warning(text: string): Painted;
  ok(text: string): Painted;
}

const plain = (text: string) => new Painted(escapeControlChars(text));
const PLAIN: Paint = { problem: plain, warning: plain, ok: plain };

export function colorAllowed(stream: NodeJS.WriteStream = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return Boolean(stream.isTTY) && (noColor === undefined || noColor === '');
}

export async function loadPaint(stream: NodeJS.WriteStream = process.stdout): Promise<Paint> {
  if (!colorAllowed(stream)) return PLAIN;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  const painter = (color: (text: string) => string) => (text: string) => new Painted(color(escapeControlChars(text)));
  return { problem: painter(chalk.red), warning: painter(chalk.yellow), ok: painter(chalk.green) };
}
