/** A spinner with "files done of total" on long runs: only on a terminal, never under --json. */

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

export async function startProgress(label: string, enabled: boolean): Promise<Progress> {
  if (!enabled || !process.stderr.isTTY) return SILENT;
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
