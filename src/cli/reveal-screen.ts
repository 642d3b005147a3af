/**
 * The reveal display: a secret drawn on the terminal's alternate screen under a countdown, then wiped.
 * The alternate screen has no scrollback and the normal screen is restored untouched when it is left,
 * so nothing of the secret stays visible or in the terminal's history. A terminal without an alternate
 * screen draws it on the normal screen, where clearing can push it into the scrollback: so the scrollback
 * is erased too (CSI 3 J), just before the alternate screen is left. Terminals with an alternate screen
 * mostly apply that to the alternate screen, which has none; some erase the normal screen's history as
 * well, the price of leaving no copy of the secret anywhere. The display ends when the time is up or at
 * the first key press (Ctrl-C included: the terminal is in raw mode); a signal or an error wipes it too.
 * The secret is written to `output` only, once, inside the alternate screen.
 */
import { constants } from 'node:os';
import { printableSecret } from './secret-text.js';

export const ENTER_ALT_SCREEN = '\x1b[?1049h';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
export const CLEAR_SCREEN = '\x1b[2J\x1b[H';
/** CSI 3 J: erase the scrollback (xterm's "erase saved lines") */
export const CLEAR_SCROLLBACK = '\x1b[3J';
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';
const RESET_ATTRIBUTES = '\x1b[0m';
const CLEAR_LINE = '\x1b[2K';
const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface RevealInput {
  readonly isRaw?: boolean;
  setRawMode(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface RevealOutput {
  readonly rows?: number;
  write(text: string): unknown;
  on(event: 'resize', listener: () => void): unknown;
  off(event: 'resize', listener: () => void): unknown;
}

export interface RevealScreenOptions {
  /** the line above the secret, e.g. the field reference; never the secret */
  title: string;
  seconds: number;
  input?: RevealInput;
  output?: RevealOutput;
}

export interface RevealScreenResult {
  /** true when a key press ended the display before the time was up */
  hiddenEarly: boolean;
}

/** The countdown line: the first row of the display. */
export function countdownLine(secondsLeft: number): string {
  return `hidden in ${secondsLeft} s; press any key to hide it now`;
}

function page(title: string, secret: string, secondsLeft: number): string {
  return `${CLEAR_SCREEN}${countdownLine(secondsLeft)}\r\n${printableSecret(title, '\r\n')}\r\n\r\n${printableSecret(secret, '\r\n')}`;
}

/**
 * Shows `secret` for `seconds` on the alternate screen with a countdown. Resolves once the screen is
 * wiped and left, the cursor shown again and the input mode restored; on SIGINT, SIGTERM or SIGHUP
 * the same happens and the process exits with 128 + the signal number.
 */
export function showOnAlternateScreen(secret: string, options: RevealScreenOptions): Promise<RevealScreenResult> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const deadline = Date.now() + options.seconds * 1000;
  const wasRaw = Boolean(input.isRaw);

  return new Promise<RevealScreenResult>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let entered = false;

    const secondsLeft = () => Math.ceil((deadline - Date.now()) / 1000);
    const restore = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      input.off('data', onKey);
      output.off('resize', onResize);
      for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
      process.off('exit', restore);
      const steps = [
        () => entered && output.write(`${RESET_ATTRIBUTES}${CLEAR_SCREEN}${CLEAR_SCROLLBACK}${LEAVE_ALT_SCREEN}`),
        () => output.write(SHOW_CURSOR),
        () => input.setRawMode(wasRaw),
        () => input.pause(),
      ];
      // each step on its own: a failing one (a closed terminal) must not skip the others
      for (const step of steps) {
        try {
          step();
        } catch {
          // nothing more can be done for this step
        }
      }
    };
    const finish = (hiddenEarly: boolean) => {
      if (done) return;
      restore();
      resolve({ hiddenEarly });
    };
    function onKey(): void {
      finish(true);
    }
    function onResize(): void {
      if (!done) output.write(page(options.title, secret, Math.max(secondsLeft(), 1)));
    }
    function onSignal(signal: NodeJS.Signals): void {
      restore();
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    const tick = () => {
      const left = secondsLeft();
      if (left <= 0) {
        finish(false);
        return;
      }
      output.write(`\x1b[1;1H${CLEAR_LINE}${countdownLine(left)}`);
      // wake when the next whole second is reached, not after a drifting interval
      timer = setTimeout(tick, Math.max(deadline - (left - 1) * 1000 - Date.now(), 1));
    };

    try {
      for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
      process.on('exit', restore);
      input.setRawMode(true);
      input.on('data', onKey);
      input.resume();
      output.on('resize', onResize);
      entered = true;
      output.write(`${ENTER_ALT_SCREEN}${HIDE_CURSOR}${page(options.title, secret, options.seconds)}`);
      timer = setTimeout(tick, Math.max(deadline - (options.seconds - 1) * 1000 - Date.now(), 1));
    } catch (error) {
      restore();
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
