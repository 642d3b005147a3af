/** Small terminal and stream helpers shared by commands. */
import { LibertyError } from '../core/errors.js';

export function stdinIsTerminal(): boolean {
  return Boolean(process.stdin.isTTY);
}

export function stdoutIsTerminal(): boolean {
  return Boolean(process.stdout.isTTY);
}

// fatal: bytes that are not UTF-8 are refused, never replaced; ignoreBOM: a leading U+FEFF is kept
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads all of stdin as UTF-8 text; E_BAD_SETTINGS when it is not UTF-8 (the value would be altered). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  chunks.forEach((chunk) => chunk.fill(0));
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new LibertyError('E_BAD_SETTINGS', 'stdin is not valid utf-8 text', {
      hint: 'a settings value must be utf-8: convert it first (e.g. iconv -t utf-8)',
    });
  } finally {
    bytes.fill(0);
  }
}

/** Drops one trailing newline (\n or \r\n), as `echo` and here-strings add one. */
export function dropTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
