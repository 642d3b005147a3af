/**
 * The built binary as a process the test can kill, or run under a wrapper (setpriv, a shell with a
 * ulimit). runCli (cli.ts) is enough when a test only waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, REPO, baseEnv, collectOutput, type RunOptions, type RunResult } from './cli.js';

export interface CliProcess {
  child: ChildProcess;
  /** the exit, with the signal when the process was killed */
  done: Promise<RunResult & { signal: NodeJS.Signals | null }>;
}

/**
 * Starts `wrapper... node bin/run.js args...` (or another copy of the build's bin/run.js); stdin gets
 * `input` (or nothing), never a terminal.
 */
export function startCli(args: string[], options: RunOptions & { wrapper?: string[]; bin?: string } = {}): CliProcess {
  const argv = [...(options.wrapper ?? []), process.execPath, options.bin ?? BIN, ...args];
  const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd ?? REPO, env: baseEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const done = collectOutput(child);
  child.stdin.on('error', () => undefined); // a process killed early closes its stdin under us
  child.stdin.end(options.input ?? '');
  return { child, done };
}

/** Like runCli, under a wrapper command. */
export function runWrapped(wrapper: string[], args: string[], options: RunOptions = {}): Promise<RunResult> {
  return startCli(args, { ...options, wrapper }).done;
}
