/**
 * `status --metrics FILE`: the status report in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector, which reads every `*.prom` file of one directory on each scrape.
 * Every value is a gauge (a state, not a running count: no `_total`), in base units (seconds). Every
 * series carries `settings`, the absolute settings directory: one label value per directory, so a host
 * with two directories writes two files whose series do not collide (node_exporter refuses duplicates).
 * Every number is one `status --json` holds, or a sum of them (see the HELP lines).
 */
import type { BlobFormat } from './blob.js';
import { writeFileAtomic } from './fs-atomic.js';
import type { StatusReport } from './status.js';

/** node_exporter runs as its own user: it must be able to read the file. */
export const METRICS_FILE_MODE = 0o644;

interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Metric {
  name: string;
  help: string;
  samples: Sample[];
}

export interface MetricsOptions {
  /** the absolute settings directory: the `settings` label */
  settingsDir: string;
  /** when the check ran */
  checkedAt: Date;
}

/** The report as exposition text: HELP and TYPE before each metric's samples, one sample a line. */
export function formatMetrics(report: StatusReport, options: MetricsOptions): string {
  const base = { settings: options.settingsDir };
  const one = (value: number, labels: Record<string, string> = {}): Sample => ({ labels: { ...base, ...labels }, value });
  const blobs = blobStates(report);
  const keys = [report.keys.master, ...report.keys.legacy].map((key, index) => ({ key, role: index === 0 ? 'master' : 'legacy' }));
  const metrics: Metric[] = [
    {
      name: 'liberty_crypto_last_check_timestamp_seconds',
      help: 'When liberty-crypto status last checked the settings directory (Unix time).',
      samples: [one(Math.floor(options.checkedAt.getTime() / 1000))],
    },
    { name: 'liberty_crypto_settings_files', help: 'Settings files read (status --json: files).', samples: [one(report.files)] },
    {
      name: 'liberty_crypto_blobs',
      help: 'Blobs by state: current (master key, the format the directory writes), other_format (master key, the other format), legacy_key, unreadable, not_opened (no master key loaded). They add up to blobs.total of status --json.',
      samples: Object.entries(blobs).map(([state, value]) => one(value, { state })),
    },
    {
      name: 'liberty_crypto_blobs_by_format',
      help: 'Blobs by format: v1, v2, malformed (neither). status --json: blobs.v1, blobs.v2, blobs.malformed.',
      samples: (['v1', 'v2', 'malformed'] as const).map((format) => one(report.blobs[format], { format })),
    },
    {
      name: 'liberty_crypto_plaintext_secrets',
      help: 'Secret fields (not locked) holding a non-empty plaintext (status --json: plaintextSecrets, locked false, empty false).',
      samples: [one(report.plaintextSecrets.filter((field) => !field.locked && !field.empty).length)],
    },
    {
      name: 'liberty_crypto_locked_fields_plain',
      help: 'Locked fields holding a non-empty plaintext (status --json: plaintextSecrets, locked true, empty false).',
      samples: [one(report.plaintextSecrets.filter((field) => field.locked && !field.empty).length)],
    },
    {
      name: 'liberty_crypto_key_set',
      help: 'Whether each configured key is loaded (1) or not (0), by role, variable and source (env, credential, file; none when unset).',
      samples: keys.map(({ key, role }) => one(key.set ? 1 : 0, { role, env: key.env, source: key.source ?? 'none' })),
    },
    {
      name: 'liberty_crypto_fingerprint_mismatch',
      help: "1 when the master key's fingerprint differs from the one app.toml stores (status --json: keys.matches false), else 0.",
      samples: [one(report.keys.matches === false ? 1 : 0)],
    },
    {
      name: 'liberty_crypto_problems',
      help: 'Problems status found (its exit status is 1 when this is not 0).',
      samples: [one(report.problems.length)],
    },
    { name: 'liberty_crypto_warnings', help: 'Warnings status found.', samples: [one(report.warnings.length)] },
  ];
  return metrics.map(formatMetric).join('');
}

/** The blob counts by state; they add up to the total (a blob not opened for want of a master key is `not_opened`). */
export function blobStates(report: StatusReport): Record<'current' | 'other_format' | 'legacy_key' | 'unreadable' | 'not_opened', number> {
  const written: BlobFormat = report.format.writes;
  const other: BlobFormat = written === 'v1' ? 'v2' : 'v1';
  const sum = (role: 'master' | 'legacy', formats: readonly BlobFormat[]) =>
    report.byKey
      .filter((entry) => entry.role === role)
      .reduce((total, entry) => total + formats.reduce((n, format) => n + entry[format], 0), 0);
  const current = report.current;
  const otherFormat = sum('master', [other]);
  const legacy = sum('legacy', ['v1', 'v2']);
  const unreadable = report.unreadable.length;
  return {
    current,
    other_format: otherFormat,
    legacy_key: legacy,
    unreadable,
    not_opened: report.blobs.total - current - otherFormat - legacy - unreadable,
  };
}

function formatMetric(metric: Metric): string {
  const lines = [`# HELP ${metric.name} ${escapeHelp(metric.help)}`, `# TYPE ${metric.name} gauge`];
  for (const sample of metric.samples) {
    const labels = Object.entries(sample.labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
    lines.push(`${metric.name}{${labels.join(',')}} ${sample.value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** In HELP text a backslash and a line feed are escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** In a label value a backslash, a double quote and a line feed are escaped (a directory name may hold any). */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * Writes the file the way the textfile collector needs: a temporary file in the same directory renamed over
 * the target, so a scrape never reads half a file; a link, FIFO or directory at the path is refused (E_IO).
 * A new file is 0644 (node_exporter reads it as its own user); an existing one keeps its mode.
 */
export function writeMetricsFile(path: string, text: string): Promise<void> {
  return writeFileAtomic(path, text, { mode: METRICS_FILE_MODE, keepOwner: false });
}
