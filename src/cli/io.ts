/** Small terminal and stream helpers shared by commands. */

export function stdinIsTerminal(): boolean {
  return Boolean(process.stdin.isTTY);
}

export function stdoutIsTerminal(): boolean {
  return Boolean(process.stdout.isTTY);
}

/** Reads all of stdin as UTF-8 text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  chunks.forEach((chunk) => chunk.fill(0));
  return text;
}

/** Drops one trailing newline (\n or \r\n), as `echo` and here-strings add one. */
export function dropTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}
