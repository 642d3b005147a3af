/**
 * Which fields are secrets: data, not code. Patterns over dotted key paths, `*` one segment, `**` any
 * number (zero included). app.toml [crypto.fields] `secret` / `locked` replace the defaults.
 */

import { APP_FILE } from './settings-directory.js';
import { LibertyError } from './errors.js';
import { isTable, type KeyPath } from './toml/index.js';

export const DEFAULT_SECRET_PATTERNS = [
  '**.password',
  '**.auth_token',
  '**.auth_password',
  '**.api_key',
  '**.client_secret',
  '**.webhook_url',
] as const;

export const DEFAULT_LOCKED_PATTERNS = ['**.oidc.client_secret', '**.slack.webhook_url'] as const;

/** Framework-global secrets that belong in the environment, with the variable each convention uses. */
export const ENV_ONLY_SECRETS: ReadonlyArray<{ pattern: string; what: string; env: string }> = [
  { pattern: '**.jwt_signing_key', what: 'JWT signing key', env: 'LIBERTY_JWT_SIGNING_KEY' },
  { pattern: '**.jwt.signing_key', what: 'JWT signing key', env: 'LIBERTY_JWT_SIGNING_KEY' },
  { pattern: '**.jwt_secret', what: 'JWT signing key', env: 'LIBERTY_JWT_SIGNING_KEY' },
  { pattern: '**.license_key', what: 'license key', env: 'LIBERTY_LICENSE_KEY' },
  { pattern: '**.license.key', what: 'license key', env: 'LIBERTY_LICENSE_KEY' },
  { pattern: '**.ai.api_key', what: 'AI provider API key', env: 'ANTHROPIC_API_KEY' },
  { pattern: '**.ai_api_key', what: 'AI provider API key', env: 'ANTHROPIC_API_KEY' },
  { pattern: '**.anthropic_api_key', what: 'AI provider API key', env: 'ANTHROPIC_API_KEY' },
  { pattern: '**.master_key', what: 'master key', env: 'LIBERTY_MASTER_KEY' },
];

export interface FieldRules {
  secret: string[];
  locked: string[];
}

export type FieldClass = 'locked' | 'secret' | 'other';

export function matchesPattern(pattern: string, path: KeyPath): boolean {
  return matchParts(patternParts(pattern), 0, path, 0);
}

/** Patterns split once: every field of every file is matched against every pattern. */
const PATTERN_PARTS = new Map<string, readonly string[]>();

function patternParts(pattern: string): readonly string[] {
  let parts = PATTERN_PARTS.get(pattern);
  if (parts === undefined) {
    parts = pattern.split('.');
    PATTERN_PARTS.set(pattern, parts);
  }
  return parts;
}

function matchParts(parts: readonly string[], p: number, path: KeyPath, k: number): boolean {
  if (p === parts.length) return k === path.length;
  const part = parts[p];
  if (part === '**') {
    for (let skip = k; skip <= path.length; skip += 1) if (matchParts(parts, p + 1, path, skip)) return true;
    return false;
  }
  if (k === path.length) return false;
  return (part === '*' || part === path[k]) && matchParts(parts, p + 1, path, k + 1);
}

/** Reads [crypto.fields] from the parsed [crypto] table; absent lists keep the defaults. */
export function readFieldRules(crypto: unknown, file = APP_FILE): FieldRules {
  const fields = isTable(crypto) ? crypto.fields : undefined;
  const rules: FieldRules = { secret: [...DEFAULT_SECRET_PATTERNS], locked: [...DEFAULT_LOCKED_PATTERNS] };
  if (fields === undefined) return rules;
  if (!isTable(fields)) throw badRules(file, 'crypto.fields', 'must be a table');
  for (const name of ['secret', 'locked'] as const) {
    const list = fields[name];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.length > 0)) {
      throw badRules(file, `crypto.fields.${name}`, 'must be an array of dotted-key patterns');
    }
    rules[name] = list as string[];
  }
  return rules;
}

export function classifyField(rules: FieldRules, path: KeyPath): FieldClass {
  if (rules.locked.some((pattern) => matchesPattern(pattern, path))) return 'locked';
  if (rules.secret.some((pattern) => matchesPattern(pattern, path))) return 'secret';
  return 'other';
}

export function envOnlySecret(path: KeyPath): { what: string; env: string } | undefined {
  return ENV_ONLY_SECRETS.find((entry) => matchesPattern(entry.pattern, path));
}

function badRules(file: string, field: string, reason: string): LibertyError {
  return new LibertyError('E_BAD_SETTINGS', `${file}: ${field}: ${reason}`, { file, field });
}
