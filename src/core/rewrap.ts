/**
 * rewrap: open every blob with whichever configured key works and re-seal under the current master, in
 * the directory's format, every blob that is not current (the format under the master key), or every
 * blob with `all`. A blob embedded in a longer string is re-sealed in place, the rest of the string kept.
 * Each file is planned, then written atomically after every new blob has been opened again and compared.
 * A blob that no key opens, or a file that does not parse, is reported and left untouched.
 *
 * A file goes through three steps: classify (open each blob: which key, which format, current or not),
 * plan (planRewrap: pure, which blobs to re-seal and what a check reports), apply (seal, splice, write).
 */
import { findBlobs, holdsBlob, parseBlob, replaceBlobs, type BlobFormat, type BlobSpan } from './blob.js';
import { LibertyError } from './errors.js';
import {
  createOpener,
  isCurrent,
  requireMaster,
  requireSealingKey,
  sealVerified,
  type BlobOpener,
  type Keyring,
  type OpenedBlob,
} from './keyring.js';
import { mapLimit, selectFiles } from './settings-scan.js';
import { isEmptySettingsDir } from './settings-directory.js';
import { readSettingsFile, writeSettingsFile, type SettingsDocument } from './settings.js';
import {
  applyEdits,
  findStringValues,
  formatKeyPath,
  listStringValues,
  type FieldEdit,
  type KeyPath,
  type TomlDocument,
} from './toml/index.js';

export interface RewrapOptions {
  /** only these files (relative to the settings directory) */
  files?: readonly string[];
  /** re-seal every blob, also those already under the master (fresh nonces) */
  all?: boolean;
  /** plan only: write nothing, report what a run would do */
  check?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/**
 * A blob that is not current: on a legacy key, or in the other format. `key` names the field, with `#N`
 * (from 1) when its value holds several blobs; `kid` is the v2 key id (null for v1, which names no key).
 */
export interface LegacyBlob {
  file: string;
  key: string;
  kid: string | null;
  format: BlobFormat;
  /** the env var of the key that opens it */
  opensWith: string;
  /** why it is not current: a legacy key opens it, or it is under the master in the other format */
  reason: 'legacy-key' | 'format';
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
  /** the format the directory writes (app.toml [crypto] format, v1 when absent) */
  format: BlobFormat;
  /** blobs current after the run (in the format, under the master key); with check, those current now */
  current: number;
  /** blobs not current after the run (unreadable ones not under the master's key id); with check, now */
  legacy: number;
  /** blobs that only a legacy key opens: with check, now; after a run, 0 (they were re-sealed) */
  onLegacyKeys: number;
  /** blobs under the master key in the other format: with check, now; after a run, 0 */
  otherFormat: number;
  /** with check: every readable blob that is not current, file by file (empty for a run) */
  onLegacy: LegacyBlob[];
  /** blobs no configured key opens */
  unreadable: number;
  files: Array<{ file: string; rewrapped: number }>;
  /** the settings files read (all of them, or those --files named) */
  filesRead: number;
  /** a whole directory was read and it holds no settings file beside app.toml and no blob (settings-directory.ts) */
  empty: boolean;
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
  /** blobs found in the file (every site, whatever became of it) */
  blobs: number;
  onLegacy: LegacyBlob[];
  problems: RewrapProblem[];
}

export async function rewrapSettings(dir: string, keyring: Keyring, options: RewrapOptions = {}): Promise<RewrapReport> {
  const files = await selectFiles(dir, options.files);
  const opener = createOpener(keyring); // one per run: it learns which key opens the v1 blobs
  let done = 0;
  const outcomes = await mapLimit(files, FILE_CONCURRENCY, async (file) => {
    const outcome = await rewrapFile(dir, file, keyring, opener, options);
    options.onProgress?.(++done, files.length);
    return outcome;
  });
  const sum = (pick: (outcome: FileOutcome) => number) => outcomes.reduce((total, outcome) => total + pick(outcome), 0);
  return {
    check: Boolean(options.check),
    format: keyring.format,
    rewrapped: sum((o) => o.rewrapped),
    current: sum((o) => o.current),
    legacy: sum((o) => o.legacy),
    unreadable: sum((o) => o.unreadable),
    onLegacy: outcomes.flatMap((o) => o.onLegacy),
    onLegacyKeys: outcomes.reduce((total, o) => total + o.onLegacy.filter((blob) => blob.reason === 'legacy-key').length, 0),
    otherFormat: outcomes.reduce((total, o) => total + o.onLegacy.filter((blob) => blob.reason === 'format').length, 0),
    files: outcomes.filter((o) => o.rewrapped > 0).map((o) => ({ file: o.file, rewrapped: o.rewrapped })),
    filesRead: files.length,
    empty:
      !options.files?.length &&
      isEmptySettingsDir(
        files,
        sum((o) => o.blobs + o.problems.length),
      ),
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

/** What classifying found out about one readable blob: all that planning needs. */
export interface ClassifiedBlob {
  /** the field name, with #N when its value holds several blobs */
  name: string;
  /** in the directory's format, under the master key */
  current: boolean;
  /** the master key opened it (so a blob that is not current is in the other format) */
  byMaster: boolean;
  kid: string | null;
  format: BlobFormat;
  opensWith: string;
}

interface OpenedSpan extends ClassifiedBlob {
  field: BlobField;
  span: BlobSpan;
  plaintext: string;
}

export interface RewrapPlan<T extends ClassifiedBlob> {
  /** the blobs to seal anew (a check only counts them) */
  reseal: T[];
  /** with check: the blobs that are not current, and why */
  onLegacy: LegacyBlob[];
  /** current once the plan is carried out; with check, current now */
  current: number;
  /** with check: not current now; a run leaves none (it re-seals them) */
  legacy: number;
}

/**
 * The plan for the readable blobs of one file: a run re-seals every blob that is not current (every blob
 * with `all`); a check writes nothing and reports the state now, naming each blob that is not current.
 */
export function planRewrap<T extends ClassifiedBlob>(
  file: string,
  blobs: readonly T[],
  options: Pick<RewrapOptions, 'all' | 'check'>,
): RewrapPlan<T> {
  const reseal = blobs.filter((blob) => options.all || !blob.current);
  if (!options.check) return { reseal, onLegacy: [], current: blobs.length, legacy: 0 };
  const onLegacy = reseal
    .filter((blob) => !blob.current)
    .map((blob): LegacyBlob => ({
      file,
      key: blob.name,
      kid: blob.kid,
      format: blob.format,
      opensWith: blob.opensWith,
      reason: blob.byMaster ? 'format' : 'legacy-key',
    }));
  return { reseal, onLegacy, current: blobs.length - onLegacy.length, legacy: onLegacy.length };
}

/**
 * A file's blobs come from the parsed data when it can tell them (findStringValues), so a file whose blobs
 * all stay as they are (every check, a run with nothing to re-seal) never builds the strict syntax tree;
 * the tree is built when the data cannot tell, to splice new blobs in, and to order the problems of a
 * file as they appear in it.
 */
async function rewrapFile(dir: string, file: string, keyring: Keyring, opener: BlobOpener, options: RewrapOptions): Promise<FileOutcome> {
  const outcome: FileOutcome = { file, rewrapped: 0, current: 0, legacy: 0, unreadable: 0, blobs: 0, onLegacy: [], problems: [] };
  let document: SettingsDocument;
  let fields: BlobField[];
  let inOrder: boolean;
  try {
    document = await readSettingsFile(dir, file);
    const found = findStringValues(document, holdsBlob);
    inOrder = found === undefined;
    fields = found ?? listStringValues(document).filter((field) => holdsBlob(field.value));
  } catch (error) {
    if (!(error instanceof LibertyError)) throw error;
    outcome.problems.push(problemOf(file, null, null, error));
    return outcome;
  }
  if (fields.length === 0) return outcome;
  const master = requireMaster(keyring);

  const spansOf = new Map(fields.map((field) => [field, findBlobs(field.value)]));
  const sites = fields.flatMap((field) => {
    const spans = spansOf.get(field)!;
    const base = formatKeyPath(field.path);
    return spans.map((span, index) => ({ field, span, name: spans.length > 1 ? `${base}#${index + 1}` : base }));
  });
  outcome.blobs = sites.length;
  // problems by site, so they come out in the order of the sites, not in the order the opens finish
  const failures: Array<RewrapProblem | undefined> = [];
  const fail = (index: number, kid: string | null, error: unknown) => {
    outcome.unreadable += 1;
    if (kid !== master.kid) outcome.legacy += 1;
    failures[index] = problemOf(file, sites[index].name, kid, error);
  };
  const opened: Array<OpenedSpan | undefined> = [];
  // v2 blobs open at once: a promise each was a large share of what a check of many blobs allocates; v1
  // blobs wait together for their key derivations on the thread pool
  const v1Opens: Array<Promise<void>> = [];
  sites.forEach((site, index) => {
    let kid: string | null = null;
    try {
      const blob = parseBlob(site.span.text);
      if (blob.format === 'v2') {
        kid = blob.kid;
        opened[index] = classified(keyring, site, kid, opener.openV2(blob));
      } else {
        v1Opens.push(
          opener.open(blob).then(
            (result) => void (opened[index] = classified(keyring, site, null, result)),
            (error: unknown) => fail(index, null, error),
          ),
        );
      }
    } catch (error) {
      fail(index, kid, error);
    }
  });
  await Promise.all(v1Opens);
  outcome.problems.push(...failures.filter((failure) => failure !== undefined));
  if (outcome.problems.length > 1 && !inOrder) {
    const failure = sortInDocumentOrder(document, outcome.problems);
    if (failure) return { ...outcome, rewrapped: 0, current: 0, legacy: 0, unreadable: 0, onLegacy: [], problems: [failure] };
  }

  const plan = planRewrap(
    file,
    opened.filter((entry) => entry !== undefined),
    options,
  );
  outcome.current += plan.current;
  outcome.legacy += plan.legacy;
  outcome.onLegacy.push(...plan.onLegacy);
  outcome.rewrapped = plan.reseal.length;
  if (options.check || plan.reseal.length === 0) return outcome;
  await applyPlan(document, keyring, opener, plan.reseal, spansOf);
  return outcome;
}

interface BlobSite {
  field: BlobField;
  span: BlobSpan;
  name: string;
}

function classified(keyring: Keyring, { field, span, name }: BlobSite, kid: string | null, result: OpenedBlob): OpenedSpan {
  return {
    field,
    span,
    name,
    plaintext: result.plaintext,
    current: isCurrent(keyring, result),
    kid,
    format: result.format,
    opensWith: result.slot.env,
    byMaster: result.slot.role === 'master',
  };
}

/** Seals each planned blob anew (verified), splices the new blobs into their values, writes the file. */
async function applyPlan(
  document: SettingsDocument,
  keyring: Keyring,
  opener: BlobOpener,
  toSeal: readonly OpenedSpan[],
  spansOf: ReadonlyMap<BlobField, BlobSpan[]>,
): Promise<void> {
  const { file } = document;
  const sealingKey = requireSealingKey(keyring);
  // sealed all at once: v1 derives each new key on the thread pool
  const sealed = await Promise.all(toSeal.map((entry) => sealVerified(keyring, sealingKey, entry.plaintext, file, opener)));
  const newText = new Map(toSeal.map((entry, index) => [entry.span, sealed[index]]));
  const edits: FieldEdit[] = [];
  for (const field of new Set(toSeal.map((entry) => entry.field))) {
    const spans = spansOf.get(field)!;
    const value = replaceBlobs(
      field.value,
      spans,
      spans.map((span) => newText.get(span) ?? span.text),
    );
    edits.push({ path: field.path, value });
  }
  const text = applyEdits(document, edits);
  await writeSettingsFile(document, text);
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
  // stable: the blobs of one value (`url#1`, `url#2`) keep their order in it
  const position = (problem: RewrapProblem) => order.get(problem.key!.replace(/#\d+$/, '')) ?? 0;
  problems.sort((a, b) => position(a) - position(b));
  return undefined;
}

function problemOf(file: string, key: string | null, kid: string | null, error: unknown): RewrapProblem {
  const failure =
    error instanceof LibertyError ? error : new LibertyError('E_INTERNAL', `internal error (${(error as Error)?.name ?? 'unknown'})`);
  return { file, key, kid, code: failure.code, exitCode: failure.exitCode, message: failure.message };
}
