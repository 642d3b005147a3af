// The liberty-install fixture (test/fixtures/liberty-install/): a settings directory shaped like a real Liberty
// install, every blob in the framework's v1 layout, sealed under one of two 32-character passphrases.
//
// The object between the json-begin and json-end markers is strict JSON: test/fixtures/make-liberty-install.py
// reads it to write the fixture, so the plaintexts and passphrases live in this one place. Keep it JSON (double
// quotes, no trailing commas, no comments inside).
//
// These passphrases are test data only, made up for this fixture (not the published stock passphrase).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';

interface InventoryBlob {
  /** FILE:KEY as the CLI names the field */
  field: string;
  /** the environment variable whose passphrase sealed the blob */
  key: 'LIBERTY_MASTER_KEY' | 'LIBERTY_MASTER_KEY_2023';
  plaintext: string;
  /** for a blob embedded in a longer string: the text before and after the blob in the value */
  around?: [string, string];
  /** how the value is quoted in the file */
  style: 'basic' | 'literal' | 'multiline-basic' | 'multiline-literal';
}

interface Inventory {
  passphrases: { LIBERTY_MASTER_KEY: string; LIBERTY_MASTER_KEY_2023: string };
  blobs: InventoryBlob[];
}

const INVENTORY: Inventory = /* json-begin */ {
  passphrases: {
    LIBERTY_MASTER_KEY: 'ht0GDiVT3TKOdYJ3o5F4OgsXzKuggXTp',
    LIBERTY_MASTER_KEY_2023: 'vN4rM0YG8XJaaziiXR7jIHA7Kf1Bk2tW',
  },
  blobs: [
    { field: 'app.toml:auth.ldap.password', key: 'LIBERTY_MASTER_KEY', style: 'basic', plaintext: 'ldap-bind-Ω-2024!' },
    { field: 'connectors.toml:pools.main.password', key: 'LIBERTY_MASTER_KEY', style: 'basic', plaintext: 'pg-main-Pässwörd-42' },
    {
      field: 'connectors.toml:pools.oracle.url',
      key: 'LIBERTY_MASTER_KEY_2023',
      style: 'basic',
      plaintext: 'Orcl7sys2023',
      around: ['oracle+oracledb://system:', '@db-prod.internal:1521/?service_name=LIBPROD'],
    },
    {
      field: 'connectors.toml:pools.warehouse.password',
      key: 'LIBERTY_MASTER_KEY_2023',
      style: 'literal',
      plaintext: 'wh \'single\' "double" \\ back',
    },
    { field: 'connectors.toml:pools.replica.password', key: 'LIBERTY_MASTER_KEY', style: 'multiline-basic', plaintext: 'replica-пароль-7' },
    { field: 'connectors.toml:connectors.crm.auth_password', key: 'LIBERTY_MASTER_KEY', style: 'basic', plaintext: 'crm-svc-2h7Kq' },
    {
      field: 'connectors.toml:connectors.erp.auth_password',
      key: 'LIBERTY_MASTER_KEY_2023',
      style: 'multiline-literal',
      plaintext: 'erp#svc:9!Zz',
    },
    { field: 'connectors.toml:connectors.billing.auth_token', key: 'LIBERTY_MASTER_KEY', style: 'basic', plaintext: 'bill_tok_8c1f0e5a' },
    {
      field: 'connectors.toml:connectors.maps.endpoints.0.api_key',
      key: 'LIBERTY_MASTER_KEY',
      style: 'basic',
      plaintext: 'maps-geocode-key-1',
    },
    {
      field: 'connectors.toml:connectors.maps.endpoints.1.api_key',
      key: 'LIBERTY_MASTER_KEY',
      style: 'basic',
      plaintext: '  maps tiles key 2  ',
    },
    {
      field: 'notifications.toml:notifications.slack.webhook_url',
      key: 'LIBERTY_MASTER_KEY',
      style: 'basic',
      plaintext: 'https://hooks.slack.com/services/T0LIBRTY/B0OPSALRT/q9Yx2wV7mN3kP8sR',
    },
    {
      field: 'notifications.toml:notifications.email.password',
      key: 'LIBERTY_MASTER_KEY_2023',
      style: 'basic',
      plaintext: 'smtp-relay-🔑-pw',
    },
  ],
}; /* json-end */

export const LIBERTY_INSTALL_FIXTURE = 'liberty-install';
export const MASTER_ENV = 'LIBERTY_MASTER_KEY';
export const LEGACY_2023_ENV = 'LIBERTY_MASTER_KEY_2023';
/** the passphrase in LIBERTY_MASTER_KEY: the master key of the install, seals most blobs */
export const MASTER_PASSPHRASE = INVENTORY.passphrases.LIBERTY_MASTER_KEY;
/** the passphrase in LIBERTY_MASTER_KEY_2023: the previous generation, a legacy key, seals a few blobs */
export const LEGACY_2023_PASSPHRASE = INVENTORY.passphrases.LIBERTY_MASTER_KEY_2023;

/** FILE:KEY -> plaintext of every blob in the fixture (for an embedded blob: the blob's own plaintext). */
export const PLAINTEXTS: Readonly<Record<string, string>> = Object.fromEntries(INVENTORY.blobs.map((blob) => [blob.field, blob.plaintext]));

/** FILE:KEY -> the env var of the passphrase that sealed the blob. */
export const SEALED_BY: Readonly<Record<string, InventoryBlob['key']>> = Object.fromEntries(
  INVENTORY.blobs.map((blob) => [blob.field, blob.key]),
);

/** FILE:KEY -> the quote style of the value in the file. */
export const STYLE: Readonly<Record<string, InventoryBlob['style']>> = Object.fromEntries(
  INVENTORY.blobs.map((blob) => [blob.field, blob.style]),
);

/** The field whose value holds a blob inside a URL, and the whole value with the blob opened. */
export const EMBEDDED_FIELD = 'connectors.toml:pools.oracle.url';
export const EMBEDDED_AROUND = INVENTORY.blobs.find((blob) => blob.field === EMBEDDED_FIELD)!.around!;
export const EMBEDDED_OPENED = `${EMBEDDED_AROUND[0]}${PLAINTEXTS[EMBEDDED_FIELD]}${EMBEDDED_AROUND[1]}`;

/** What `decrypt FILE:KEY` prints for each field: the plaintext, or the whole value with its blob opened. */
export const DECRYPTED: Readonly<Record<string, string>> = Object.fromEntries(
  INVENTORY.blobs.map((blob) => [blob.field, blob.around ? `${blob.around[0]}${blob.plaintext}${blob.around[1]}` : blob.plaintext]),
);

/** The settings files of the fixture. */
export const FILES = ['app.toml', 'connectors.toml', 'notifications.toml'] as const;

/** The `${...}` references the fixture holds outside app.toml [crypto] (the framework expands them; the CLI must not touch them). */
export const REFERENCES: Readonly<Record<string, string>> = {
  'app.toml:auth.jwt_secret': '${LIBERTY_JWT_SECRET}',
  'app.toml:oidc.client_secret': '${OIDC_CLIENT_SECRET}',
  'app.toml:ai.api_key': '${ANTHROPIC_API_KEY}',
  'connectors.toml:pools.local.url': '${LIBERTY_DB_URL:-sqlite+aiosqlite:///./liberty.db}',
  'connectors.toml:pools.local.password': '${LIBERTY_LOCAL_DB_PASSWORD:-}',
};

/** v1 and v2 blobs as they appear in a file's text (a v1 blob never has a `:` after `ENC:`). */
export const V1_BLOB = /ENC:(?!v2:)[A-Za-z0-9+/]+={0,2}/g;
export const V2_BLOB = /ENC:v2:[0-9a-f]{8}:[A-Za-z0-9_-]+/g;
export const ANY_BLOB = /ENC:v2:[0-9a-f]{8}:[A-Za-z0-9_-]+|ENC:[A-Za-z0-9+/]+={0,2}/g;

/** The parsed value of FILE:KEY in a settings directory (array elements by index), or undefined. */
export function readField(dir: string, field: string): unknown {
  const [file, dotted] = field.split(':') as [string, string];
  let value: unknown = parse(readFileSync(join(dir, file), 'utf8'));
  for (const part of dotted.split('.')) {
    if (Array.isArray(value)) value = value[Number(part)];
    else if (value && typeof value === 'object') value = (value as Record<string, unknown>)[part];
    else return undefined;
  }
  return value;
}

/**
 * The blob of every inventory field in a settings directory: the whole value, or for the embedded field the
 * ENC: text between the expected prefix and suffix (undefined when the value no longer has that shape).
 */
export function fieldBlobs(dir: string): Record<string, string | undefined> {
  return Object.fromEntries(
    INVENTORY.blobs.map((entry) => {
      const value = readField(dir, entry.field);
      if (typeof value !== 'string') return [entry.field, undefined];
      const [before, after] = entry.around ?? ['', ''];
      const fits = value.startsWith(before) && value.endsWith(after) && value.length >= before.length + after.length;
      return [entry.field, fits ? value.slice(before.length, value.length - after.length) : undefined];
    }),
  );
}
