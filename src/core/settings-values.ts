/**
 * Settings files as plain data with every blob opened: what a program that reads Liberty settings
 * (the framework runtime) works with. The library API (src/index.ts) is built on these.
 *
 * - Files are found and read with the CLI's rules (crawl.ts, settings.ts): `*.toml` under the directory,
 *   hidden files skipped, links leading outside refused; a file must pass both TOML parsers, as it must
 *   for status and rewrap.
 * - Every blob is opened, whole string values and blobs embedded in longer ones (a URL's password): in tables, inline tables, arrays of tables and plain
 *   arrays (an array element is addressed by its index: `hosts.1`). A failure is the LibertyError of
 *   the blob, located (`connectors.toml:pools.main.password: ...`, `file` and `field` set); when several
 *   blobs fail, the first in document order is reported.
 * - The values are fresh plain objects and arrays; integers are numbers when they are safe integers and
 *   bigint beyond ±(2^53 - 1); dates and times are smol-toml TomlDate objects (a Date).
 */
import { holdsBlob } from './blob.js';
import { crawlSettings, SETTINGS_EXTENSION } from './crawl.js';
import { locateError } from './errors.js';
import { createOpener, type Keyring } from './keyring.js';
import { selectFiles } from './settings-scan.js';
import { readSettingsFile } from './settings.js';
import { formatKeyPath, listStringValues, type KeyPath, type TomlDocument } from './toml/index.js';

export type SettingsValue = string | number | bigint | boolean | Date | SettingsValue[] | SettingsTable;

export interface SettingsTable {
  [key: string]: SettingsValue;
}

/** Where a blob sits in the copy, so its plaintext can take its place. */
interface BlobSite {
  holder: SettingsTable | SettingsValue[];
  key: string;
  path: KeyPath;
  blob: string;
}

/** One settings file (relative to `dir`, one the crawl finds) as data, every blob opened. */
export async function readSettingsData(dir: string, file: string, keyring: Keyring): Promise<SettingsTable> {
  const [selected] = await selectFiles(dir, [file]);
  return openDocument(await readSettingsFile(dir, selected), keyring);
}

/** Every settings file of `dir`, keyed by section: the relative path without `.toml` (`connectors`, `tenants/acme`). */
export async function readSettingsSections(dir: string, keyring: Keyring): Promise<Record<string, SettingsTable>> {
  const sections: Record<string, SettingsTable> = {};
  for (const file of await crawlSettings(dir)) {
    setOwn(sections, sectionName(file), await openDocument(await readSettingsFile(dir, file), keyring));
  }
  return sections;
}

export function sectionName(file: string): string {
  return file.endsWith(SETTINGS_EXTENSION) ? file.slice(0, -SETTINGS_EXTENSION.length) : file;
}

/** The document's data as a fresh plain table, every blob replaced by its plaintext. */
export async function openDocument(document: TomlDocument, keyring: Keyring): Promise<SettingsTable> {
  listStringValues(document); // the strict TOML 1.0 check the scanning commands apply (E_INVALID_TOML)
  const sites: BlobSite[] = [];
  const table = copyValue(document.data, [], sites) as SettingsTable;
  // opened concurrently (legacy key derivation runs on the thread pool), reported in document order
  const opener = createOpener(keyring);
  const opened = await Promise.allSettled(sites.map((site) => opener.openValue(site.blob)));
  opened.forEach((result, index) => {
    const site = sites[index];
    if (result.status === 'rejected') {
      const field = formatKeyPath(site.path);
      throw locateError(result.reason, `${document.file}:${field}`, document.file, field);
    }
    setOwn(site.holder, site.key, result.value.text);
  });
  return table;
}

function copyValue(value: unknown, path: KeyPath, sites: BlobSite[]): SettingsValue {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value !== 'object' || value === null || value instanceof Date) return value as SettingsValue;
  const holder: SettingsTable | SettingsValue[] = Array.isArray(value) ? [] : {};
  for (const [key, item] of Object.entries(value)) {
    const itemPath = [...path, key];
    setOwn(holder, key, copyValue(item, itemPath, sites));
    if (typeof item === 'string' && holdsBlob(item)) sites.push({ holder, key, path: itemPath, blob: item });
  }
  return holder;
}

/** An own data property, whatever the key (`__proto__` is a valid TOML key). */
function setOwn(holder: object, key: string, value: unknown): void {
  Object.defineProperty(holder, key, { value, enumerable: true, writable: true, configurable: true });
}
