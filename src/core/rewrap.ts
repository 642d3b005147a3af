/**
 * rewrap: open every blob with whichever configured key works and re-seal under the current master
 * every blob that is not already v2 under the master's key id (or every blob with `all`). Each file is
 * planned, then written atomically after every new blob has been opened again and compared.
 * A blob that no key opens, or a file that does not parse, is reported and left untouched.
 */
import { isBlobText, parseBlob } from './blob.js';
import { LibertyError, where } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { openBlob, openParsedBlob, requireMaster, requireSealingKey, sealWithKey, type Keyring } from './keyring.js';
import type { Key } from './keys.js';
import { mapLimit, selectFiles } from './settings-scan.js';
import { readSettingsFile } from './settings.js';
import { applyEdits, findStringValues, formatKeyPath, listStringValues, type FieldEdit, type KeyPath, type TomlDocument } from './toml-edit.js';
import { join } from 'node:path';

export interface RewrapOptions {
  /** only these files (relative to the settings directory) */
  files?: readonly string[];
  /** re-seal every blob, also those already under the master (fresh nonces) */
  all?: boolean;
  /** plan only: write nothing, report what a run would do */
  check?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** A blob that still sits on a legacy key (v2, `kid` set) or in the legacy format (`kid` null). */
export interface LegacyBlob {
  file: string;
  key: string;
  kid: string | null;
}

export interface RewrapProblem {
  file: string;
  key: string | null;
  kid: string | null;
  code: string;
  exitCode: number;
  message: string;
}

export interface RewrapReport {
  check: boolean;
  /** blobs re-sealed (or, with check, that a run would re-seal) */
  rewrapped: number;
  /** blobs under the master key after the run */
  current: number;
  /** blobs not under the master key after the run; with check, those not under it now */
  legacy: number;
  /** with check: every readable blob on a legacy key or in the legacy format, file by file (empty for a run) */
  onLegacy: LegacyBlob[];
  /** blobs no configured key opens */
  unreadable: number;
  files: Array<{ file: string; rewrapped: number }>;
  problems: RewrapProblem[];
}

/** Files are independent; a few in flight overlap their fsyncs and the thread-pool PBKDF2 work. */
const FILE_CONCURRENCY = 8;

interface FileOutcome {
  file: string;
  rewrapped: number;
  current: number;
  legacy: number;
  unreadable: number;
  onLegacy: LegacyBlob[];
  problems: RewrapProblem[];
}

export async function rewrapSettings(dir: string, keyring: Keyring, options: RewrapOptions = {}): Promise<RewrapReport> {
  const files = await selectFiles(dir, options.files);
  let done = 0;
  const outcomes = await mapLimit(files, FILE_CONCURRENCY, async (file) => {
    const outcome = await rewrapFile(dir, file, keyring, options);
    options.onProgress?.(++done, files.length);
    return outcome;
  });
  const sum = (pick: (outcome: FileOutcome) => number) => outcomes.reduce((total, outcome) => total + pick(outcome), 0);
  return {
    check: Boolean(options.check),
    rewrapped: sum((o) => o.rewrapped),
    current: sum((o) => o.current),
    legacy: sum((o) => o.legacy),
    unreadable: sum((o) => o.unreadable),
    onLegacy: outcomes.flatMap((o) => o.onLegacy),
    files: outcomes.filter((o) => o.rewrapped > 0).map((o) => ({ file: o.file, rewrapped: o.rewrapped })),
    problems: outcomes.flatMap((o) => o.problems),
  };
}

/** The exit code of the worst problem: the highest of them (3 key, 4 authentication, 5 malformed, 6 I/O). */
export function worstExitCode(problems: readonly RewrapProblem[]): number | undefined {
  return problems.length === 0 ? undefined : Math.max(...problems.map((problem) => problem.exitCode));
}

interface BlobField {
  path: KeyPath;
  value: string;
}

/**
 * A file's blobs come from the parsed data when it can tell them (findStringValues), so a file whose blobs
 * all stay as they are (every check, a run with nothing to re-seal) never builds the strict syntax tree;
 * the tree is built when the data cannot tell, to splice new blobs in, and to order the problems of a
 * file as they appear in it.
 */
async function rewrapFile(dir: string, file: string, keyring: Keyring, options: RewrapOptions): Promise<FileOutcome> {
  const outcome: FileOutcome = { file, rewrapped: 0, current: 0, legacy: 0, unreadable: 0, onLegacy: [], problems: [] };
  let document: TomlDocument;
  let blobs: BlobField[];
  let inOrder: boolean;
  try {
    document = await readSettingsFile(dir, file);
    const found = findStringValues(document, isBlobText);
    inOrder = found === undefined;
    blobs = found ?? listStringValues(document).filter((field) => isBlobText(field.value));
  } catch (error) {
    if (!(error instanceof LibertyError)) throw error;
    outcome.problems.push(problemOf(file, null, null, error));
    return outcome;
  }
  if (blobs.length === 0) return outcome;
  const master = requireMaster(keyring);

  const opened = await Promise.all(
    blobs.map(async (field) => {
      let kid: string | null = null;
      try {
        const blob = parseBlob(field.value);
        kid = blob.format === 'v2' ? blob.kid : null;
        const result = await openParsedBlob(keyring, blob);
        const underMaster = blob.format === 'v2' && blob.kid === master.kid;
        return { field, plaintext: result.plaintext, underMaster, kid };
      } catch (error) {
        const underMaster = kid === master.kid;
        outcome.unreadable += 1;
        if (!underMaster) outcome.legacy += 1;
        outcome.problems.push(problemOf(file, formatKeyPath(field.path), kid, error));
        return undefined;
      }
    }),
  );
  if (outcome.problems.length > 1 && !inOrder) {
    const failure = sortInDocumentOrder(document, outcome.problems);
    if (failure) return { file, rewrapped: 0, current: 0, legacy: 0, unreadable: 0, onLegacy: [], problems: [failure] };
  }

  const readable = opened.filter((entry) => entry !== undefined);
  const toSeal = readable.filter((entry) => options.all || !entry.underMaster);
  outcome.current += readable.length - toSeal.length;
  if (toSeal.length === 0) return outcome;

  const sealingKey = requireSealingKey(keyring);
  if (options.check) {
    // a check reports the state now: which blobs still need a legacy key, for the nightly job to name them
    for (const entry of toSeal) {
      if (entry.underMaster) continue;
      outcome.onLegacy.push({ file, key: formatKeyPath(entry.field.path), kid: entry.kid });
      outcome.legacy += 1;
    }
    outcome.rewrapped = toSeal.length;
    outcome.current += toSeal.length - outcome.onLegacy.length;
    return outcome;
  }
  const edits: FieldEdit[] = [];
  for (const entry of toSeal) {
    edits.push({ path: entry.field.path, value: await sealVerified(keyring, sealingKey, entry.plaintext, file) });
  }
  const text = applyEdits(document, edits);
  await writeFileAtomic(join(dir, file), text);
  outcome.rewrapped = toSeal.length;
  outcome.current += toSeal.length;
  return outcome;
}

/**
 * Puts a file's blob problems in document order (blobs found in the data come unordered). Returns the
 * file's own problem instead when the strict parser refuses it, as listing the fields in order would have.
 */
function sortInDocumentOrder(document: TomlDocument, problems: RewrapProblem[]): RewrapProblem | undefined {
  let order: Map<string, number>;
  try {
    order = new Map(listStringValues(document).map((field, position) => [formatKeyPath(field.path), position]));
  } catch (error) {
    if (!(error instanceof LibertyError)) throw error;
    return problemOf(document.file, null, null, error);
  }
  problems.sort((a, b) => (order.get(a.key!) ?? 0) - (order.get(b.key!) ?? 0));
  return undefined;
}

/** Seals, then opens the new blob again and compares, so a write never carries a blob that fails. */
export async function sealVerified(keyring: Keyring, key: Key & { aesKey: Buffer }, plaintext: string, file: string): Promise<string> {
  const blob = sealWithKey(key, plaintext);
  const reopened = await openBlob(keyring, blob);
  if (reopened.plaintext !== plaintext) {
    throw new LibertyError('E_INTERNAL', `${where(file)}a new blob did not open to its plaintext; nothing was written`);
  }
  return blob;
}

function problemOf(file: string, key: string | null, kid: string | null, error: unknown): RewrapProblem {
  const failure =
    error instanceof LibertyError ? error : new LibertyError('E_INTERNAL', `internal error (${(error as Error)?.name ?? 'unknown'})`);
  return { file, key, kid, code: failure.code, exitCode: failure.exitCode, message: failure.message };
}
