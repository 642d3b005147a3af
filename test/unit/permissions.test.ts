import { describe, expect, it } from 'vitest';

import { checkPermission, type Permission, resolveOperator } from '../../src/core/permissions.js';
import { thrown } from '../support/errors.js';

describe('resolveOperator', () => {
  it.each([
    ['a normal user', {}, 'alice', 1000, 'alice'],
    ['a normal user with SUDO_USER set by hand', { SUDO_USER: 'bob' }, 'alice', 1000, 'alice'],
    ['root without sudo', {}, 'root', 0, 'root'],
    ['root under sudo', { SUDO_USER: 'alice' }, 'root', 0, 'alice'],
    ['root with an empty SUDO_USER', { SUDO_USER: '' }, 'root', 0, 'root'],
    ['root with SUDO_USER undefined', { SUDO_USER: undefined }, 'root', 0, 'root'],
  ] as const)('%s', (_name, env, osUser, uid, expected) => {
    expect(resolveOperator(env, osUser, uid)).toBe(expected);
  });
});

describe('checkPermission', () => {
  const table = {
    'settings:reveal-secrets': ['alice', 'deploy-bot'],
    'settings:framework': ['alice'],
    'framework:other': [],
  };

  it.each<[string, unknown, string, Permission]>([
    ['alice may reveal', table, 'alice', 'settings:reveal-secrets'],
    ['deploy-bot may reveal', table, 'deploy-bot', 'settings:reveal-secrets'],
    ['alice may change the framework', table, 'alice', 'settings:framework'],
    ['a table without prototype', Object.assign(Object.create(null), table), 'alice', 'settings:framework'],
  ])('allows: %s', (_name, permissions, operator, permission) => {
    expect(() => checkPermission(permissions, operator, permission)).not.toThrow();
  });

  it.each<[string, unknown, string, Permission]>([
    ['deploy-bot may not change the framework', table, 'deploy-bot', 'settings:framework'],
    ['an unlisted operator', table, 'mallory', 'settings:reveal-secrets'],
    ['no [permissions] table', undefined, 'alice', 'settings:reveal-secrets'],
    ['an empty table', {}, 'alice', 'settings:reveal-secrets'],
    ['names compare exactly', table, 'Alice', 'settings:reveal-secrets'],
    ['an empty operator name', { 'settings:reveal-secrets': [''] }, '', 'settings:reveal-secrets'],
  ])('denies: %s', (_name, permissions, operator, permission) => {
    const error = thrown(() => checkPermission(permissions, operator, permission));
    expect(error.code).toBe('E_PERMISSION_DENIED');
    expect(error.exitCode).toBe(8);
    if (operator) expect(error.message).toContain(operator);
    expect(error.message).toContain(permission);
  });

  it('hints at the exact line to add to app.toml', () => {
    const error = thrown(() => checkPermission(table, 'mallory', 'settings:reveal-secrets'));
    expect(error.hint).toBe('grant it in app.toml: [permissions] "settings:reveal-secrets" = ["mallory"]');
    expect(error.file).toBe('app.toml');
  });

  it.each<[string, unknown, string]>([
    ['a string', 'alice', 'permissions'],
    ['an array', ['alice'], 'permissions'],
    ['null', null, 'permissions'],
    ['a number', 3, 'permissions'],
    ['a date', new Date(0), 'permissions'],
    ['a value that is a string', { 'settings:reveal-secrets': 'alice' }, 'permissions."settings:reveal-secrets"'],
    ['a value with a number inside', { 'settings:framework': ['alice', 7] }, 'permissions."settings:framework"'],
    ['a value that is a table', { 'settings:framework': { alice: true } }, 'permissions."settings:framework"'],
    ['another key malformed', { ...table, plain_key: 'x' }, 'permissions.plain_key'],
  ])('rejects a malformed table (%s) with E_BAD_SETTINGS naming app.toml and the key', (_name, permissions, field) => {
    const error = thrown(() => checkPermission(permissions, 'alice', 'settings:reveal-secrets'));
    expect(error.code).toBe('E_BAD_SETTINGS');
    expect(error.exitCode).toBe(5);
    expect(error.message).toContain('app.toml');
    expect(error.message).toContain(field);
    expect(error.field).toBe(field);
  });
});
