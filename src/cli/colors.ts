/**
 * Colours for human output: only on a terminal, never with NO_COLOR set, never under --json (callers
 * render text only without --json). chalk costs start-up time, so it is loaded when colours are used.
 */
export interface Paint {
  problem(text: string): string;
  warning(text: string): string;
  ok(text: string): string;
}

const PLAIN: Paint = { problem: (text) => text, warning: (text) => text, ok: (text) => text };

export function colorAllowed(stream: NodeJS.WriteStream = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return Boolean(stream.isTTY) && (noColor === undefined || noColor === '');
}

export async function loadPaint(stream: NodeJS.WriteStream = process.stdout): Promise<Paint> {
  if (!colorAllowed(stream)) return PLAIN;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level: 1 });
  return { problem: (text) => chalk.red(text), warning: (text) => chalk.yellow(text), ok: (text) => chalk.green(text) };
}
