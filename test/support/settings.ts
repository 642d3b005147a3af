import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { loadKeyring, sealValue } from '../../src/core/keyring.js';

export const OPERATOR = userInfo().username;

export interface TempSettings {
  root: string;
  dir: string;
  audit: string;
  cleanup(): void;
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

/** app.toml text with [crypto] and permissions for the current OS user. */
export function appToml(options: { master?: string; legacy?: string[]; fingerprint?: string; permissions?: string[] } = {}): string {
  const lines = ['# app settings', '[crypto]', `master_key = "\${${options.master ?? 'LIBERTY_MASTER_KEY'}}"`];
  if (options.legacy) lines.push(`legacy_keys = [${options.legacy.map((name) => `"\${${name}}"`).join(', ')}]`);
  if (options.fingerprint) lines.push(`fingerprint = "${options.fingerprint}"`);
  const permissions = options.permissions ?? ['settings:reveal-secrets', 'settings:framework'];
  if (permissions.length > 0) {
    lines.push('', '[permissions]', ...permissions.map((code) => `"${code}" = ["${OPERATOR}"]`));
  }
  return `${lines.join('\n')}\n`;
}

/** Seals a plaintext under a hex key, as the CLI would. */
export function seal(keyHex: string, plaintext: string): string {
  return sealValue(loadKeyring({ masterEnv: 'K', legacyEnvs: [] }, { K: keyHex }), plaintext);
}
