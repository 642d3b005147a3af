/**
 * Runs the built binary in a real pseudo-terminal and feeds what it writes into a headless xterm, so a
 * test can look at what a user would see: the active screen, the normal screen with its scrollback,
 * the alternate screen, and the raw byte stream.
 */
import pty from '@lydell/node-pty';
import xterm from '@xterm/headless';
import { afterEach } from 'vitest';
import { BIN, REPO, baseEnv } from './cli.js';

type Terminal = InstanceType<typeof xterm.Terminal>;
type Buffer = Terminal['buffer']['normal'];

export interface PtyOptions {
  env?: Record<string, string | undefined>;
  cols?: number;
  rows?: number;
  scrollback?: number;
  cwd?: string;
  /** false: a terminal without an alternate screen (the switch to it and back is ignored, as by some consoles) */
  alternateScreen?: boolean;
}

export interface PtyExit {
  exitCode: number;
  signal?: number;
}

export interface PtySession {
  readonly terminal: Terminal;
  readonly pid: number;
  /** every byte written to the terminal so far, escape sequences included */
  raw(): string;
  write(data: string): void;
  kill(signal?: string): void;
  /** resolves once the emulator has parsed everything received so far */
  flush(): Promise<void>;
  /** polls until the check holds (the emulator flushed first); fails with the screen after timeoutMs */
  waitFor(check: string | RegExp | ((session: PtySession) => boolean), timeoutMs?: number): Promise<void>;
  /** the exit, once the output has drained into the emulator */
  exited(): Promise<PtyExit>;
  /** whether the process has exited */
  hasExited(): boolean;
  /** the active screen (normal or alternate), wrapped lines joined */
  screen(): string;
  /** the normal buffer: scrollback and screen, wrapped lines joined */
  normalBuffer(): string;
  /** the alternate buffer's screen */
  alternateBuffer(): string;
  /** what the alternate screen held each time it was left (a terminal may keep it and show it again) */
  alternateScreenWhenLeft(): string[];
  activeBuffer(): 'normal' | 'alternate';
  dispose(): void;
}

/** The text of a buffer, from its first line (scrollback included) to its last; wrapped lines joined. */
export function bufferText(buffer: Buffer): string {
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (!line) continue;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  return lines.join('\n').replace(/\n+$/, '');
}

export function spawnCliPty(args: string[], options: PtyOptions = {}): PtySession {
  const cols = options.cols ?? 80;
  const rows = options.rows ?? 24;
  // erased screens go to the scrollback (PuTTY's way): a secret cleared on the normal screen would show up there
  const terminal = new xterm.Terminal({
    cols,
    rows,
    scrollback: options.scrollback ?? 1000,
    allowProposedApi: true,
    scrollOnEraseInDisplay: true,
  });
  const child = pty.spawn(process.execPath, [BIN, ...args], {
    name: 'xterm-256color',
    cols,
    rows,
    cwd: options.cwd ?? REPO,
    env: baseEnv({ TERM: 'xterm-256color', ...options.env }),
  });
  const leftAlternate: string[] = [];
  const switchesScreen = (params: (number | number[])[]) => params.some((param) => param === 1049 || param === 1047 || param === 47);
  // runs before the emulator's own handler (returning false passes the sequence on to it, true swallows it)
  terminal.parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
    const leaves = switchesScreen(params);
    if (leaves && terminal.buffer.active.type === 'alternate') leftAlternate.push(bufferText(terminal.buffer.alternate));
    return leaves && options.alternateScreen === false;
  });
  terminal.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => switchesScreen(params) && options.alternateScreen === false);
  let raw = '';
  let lastData = Date.now();
  let exit: PtyExit | undefined;
  const dataListener = child.onData((chunk) => {
    raw += chunk;
    lastData = Date.now();
    terminal.write(chunk);
  });
  const exitPromise = new Promise<PtyExit>((resolve) => {
    child.onExit((event) => {
      exit = { exitCode: event.exitCode, ...(event.signal ? { signal: event.signal } : {}) };
      resolve(exit);
    });
  });

  const flush = () => new Promise<void>((resolve) => terminal.write('', resolve));

  const session: PtySession = {
    terminal,
    pid: child.pid,
    raw: () => raw,
    write: (data) => child.write(data),
    kill: (signal) => child.kill(signal),
    flush,
    async waitFor(check, timeoutMs = 15_000) {
      const holds =
        typeof check === 'function'
          ? check
          : typeof check === 'string'
            ? () => session.screen().includes(check)
            : () => check.test(session.screen());
      const started = Date.now();
      for (;;) {
        await flush();
        if (holds(session)) return;
        const gone = exit !== undefined && Date.now() - lastData > 100;
        if (gone || Date.now() - started > timeoutMs) {
          const why = gone ? `the process exited (${JSON.stringify(exit)})` : `timed out after ${timeoutMs} ms`;
          throw new Error(`${why} waiting for ${String(check)}\nscreen:\n${session.screen()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async exited() {
      const result = await exitPromise;
      // the exit can be reported before the last output is read: wait until the stream is quiet
      while (Date.now() - lastData < 50) await new Promise((resolve) => setTimeout(resolve, 20));
      await flush();
      return result;
    },
    hasExited: () => exit !== undefined,
    screen: () => {
      const buffer = terminal.buffer.active;
      const lines: string[] = [];
      for (let y = buffer.baseY; y < buffer.baseY + rows; y++) {
        const line = buffer.getLine(y);
        if (!line) continue;
        const text = line.translateToString(true);
        if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
        else lines.push(text);
      }
      return lines.join('\n');
    },
    normalBuffer: () => bufferText(terminal.buffer.normal),
    alternateBuffer: () => bufferText(terminal.buffer.alternate),
    alternateScreenWhenLeft: () => [...leftAlternate],
    activeBuffer: () => terminal.buffer.active.type,
    dispose() {
      dataListener.dispose();
      if (!exit) {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
      terminal.dispose();
    },
  };
  return session;
}

/** spawnCliPty for a test file whose tests each start their own sessions: each is disposed after its test. */
export function ptyPerTest(): typeof spawnCliPty {
  const started: PtySession[] = [];
  afterEach(() => {
    for (const session of started.splice(0)) session.dispose();
  });
  return (args, options) => {
    const session = spawnCliPty(args, options);
    started.push(session);
    return session;
  };
}
