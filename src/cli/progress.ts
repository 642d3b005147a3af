/** A spinner with "files done of total" on long runs: only on a terminal, never under --json. */
import { escapeControlChars } from '../core/terminal-text.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

export async function startProgress(text: string, enabled: boolean): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY) return SILENT;
  const label = escapeControlChars(text);
  const { default: ora } = await import('ora');
  const spinner = ora({ text: label, stream: process.stderr }).start();
  return {
    update(done, total) {
      spinner.text = `${label} ${done}/${total} files`;
    },
    stop() {
      spinner.stop();
    },
  };
}
