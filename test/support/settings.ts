import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import type { CryptoConfig } from '../../src/core/crypto-config.js';
import { loadKeyring, sealValue } from '../../src/core/keyring.js';

export const OPERATOR = userInfo().username;

export interface TempSettings {
  root: string;
  dir: string;
  audit: string;
  cleanup(): void;
}

/**
 * makeSettings for a test file whose tests each make their own directories: every directory made by the
 * returned function is removed after the test that made it.
 */
export function settingsPerTest(): (files: Record<string, string>) => TempSettings {
  const made: TempSettings[] = [];
  afterEach(() => {
    for (const settings of made.splice(0)) settings.cleanup();
  });
  return (files) => {
    const settings = makeSettings(files);
    made.push(settings);
    return settings;
  };
}

/** A temporary settings directory holding the given files (relative path -> text). */
export function makeSettings(files: Record<string, string>): TempSettings {
  const root = mkdtempSync(join(tmpdir(), 'lc-e2e-'));
  const dir = join(root, 'config');
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return { root, dir, audit: join(dir, 'audit.jsonl'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * app.toml text with [crypto] and permissions for the current OS user. The format is v2 unless given:
 * these tests were written for v2 key ids; `format: null` leaves it out (the v1 default).
 */
export function appToml(
  options: { master?: string; legacy?: string[]; fingerprint?: string; permissions?: string[]; format?: 'v1' | 'v2' | null } = {},
): string {
  const lines = ['# app settings', '[crypto]', `master_key = "\${${options.master ?? 'LIBERTY_MASTER_KEY'}}"`];
  const format = options.format === undefined ? 'v2' : options.format;
  if (format !== null) lines.push(`format = "${format}"`);
  if (options.legacy) lines.push(`legacy_keys = [${options.legacy.map((name) => `"\${${name}}"`).join(', ')}]`);
  if (options.fingerprint) lines.push(`fingerprint = "${options.fingerprint}"`);
  const permissions = options.permissions ?? ['settings:reveal-secrets', 'settings:framework'];
  if (permissions.length > 0) {
    lines.push('', '[permissions]', ...permissions.map((code) => `"${code}" = ["${OPERATOR}"]`));
  }
  return `${lines.join('\n')}\n`;
}

/** A [crypto] config for tests: v2 unless `format` says otherwise, no key defaults on disk. */
export function cryptoConfig(config: Pick<CryptoConfig, 'masterEnv' | 'legacyEnvs'> & Partial<CryptoConfig>): CryptoConfig {
  return { format: 'v2', formatExplicit: true, keyDefaultsOnDisk: [], ...config };
}

/** Seals a plaintext under a key, as the CLI would in a directory of that format (v2 unless given). */
export function seal(key: string, plaintext: string, format: 'v1' | 'v2' = 'v2'): string {
  return sealValue(loadKeyring(cryptoConfig({ masterEnv: 'K', legacyEnvs: [], format }), { K: key }), plaintext);
}
