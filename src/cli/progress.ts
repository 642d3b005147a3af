/**
 * A spinner with "files done of total" on long runs: only on a terminal, never under --json. Its frame
 * is coloured only where colours are allowed (colors.ts: a terminal, and never with NO_COLOR set).
 */
import { escapeControlChars } from '../core/terminal-text.js';
import { colorAllowed } from './colors.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export const NO_PROGRESS: Progress = { update() {}, stop() {} };

export async function startProgress(text: string, enabled: boolean): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY) return NO_PROGRESS;
  const label = escapeControlChars(text);
  const { default: ora } = await import('ora');
  const spinner = ora({ text: label, stream: process.stderr, color: colorAllowed(process.stderr) ? 'cyan' : false }).start();
  return {
    update(done, total) {
      spinner.text = `${label} ${done}/${total} files`;
    },
    stop() {
      spinner.stop();
    },
  };
}
