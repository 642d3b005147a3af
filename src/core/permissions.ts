/**
 * Who may do what: the `[permissions]` table of app.toml maps a permission code to the operators that
 * hold it, e.g. `"settings:reveal-secrets" = ["alice", "deploy-bot"]`. The operator is the OS login name
 * (the invoking user under sudo). This is a guard against mistakes and a record for the audit log, not a
 * security boundary against someone who can edit app.toml or run as another user.
 */
import { LibertyError } from './errors.js';
import { APP_FILE } from './settings-directory.js';
import { isTable } from './toml/index.js';

export type Permission = 'settings:reveal-secrets' | 'settings:framework';

export const PERMISSIONS: readonly Permission[] = ['settings:reveal-secrets', 'settings:framework'];

/**
 * The operator's name: the OS login name, or SUDO_USER when running as root (uid 0) under sudo.
 * SUDO_USER is ignored for any other uid, where anybody could set it.
 */
export function resolveOperator(env: Record<string, string | undefined>, osUser: string, uid: number): string {
  const sudoUser = env.SUDO_USER?.trim();
  if (uid === 0 && sudoUser) return sudoUser;
  return osUser;
}

/**
 * Throws E_PERMISSION_DENIED unless `operator` is listed under `permission` in the parsed `[permissions]`
 * table (undefined when app.toml has none: nobody holds anything). E_BAD_SETTINGS when the table is not a
 * table or one of its values is not an array of strings; every value is checked, not only the one asked for.
 */
export function checkPermission(permissionsTable: unknown, operator: string, permission: Permission): void {
  const table = parsePermissionsTable(permissionsTable);
  if (operator !== '' && table.get(permission)?.includes(operator)) return;
  throw new LibertyError('E_PERMISSION_DENIED', `operator ${operator || '(unknown)'} lacks permission ${permission}`, {
    hint: `grant it in app.toml: [permissions] ${JSON.stringify(permission)} = [${JSON.stringify(operator)}]`,
    file: APP_FILE,
    field: fieldName(permission),
  });
}

/** The `[permissions]` table as a map from code to operators; E_BAD_SETTINGS when malformed. */
export function parsePermissionsTable(permissionsTable: unknown): Map<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  if (permissionsTable === undefined) return map;
  if (!isTable(permissionsTable)) {
    throw new LibertyError('E_BAD_SETTINGS', `${APP_FILE}: permissions: must be a table`, {
      hint: 'write it as [permissions] with "code" = ["operator", ...] lines',
      file: APP_FILE,
      field: 'permissions',
    });
  }
  for (const [code, operators] of Object.entries(permissionsTable)) {
    if (!Array.isArray(operators) || !operators.every((name) => typeof name === 'string')) {
      throw new LibertyError('E_BAD_SETTINGS', `${APP_FILE}: ${fieldName(code)}: must be an array of operator names`, {
        hint: `write it as ${JSON.stringify(code)} = ["operator", ...]`,
        file: APP_FILE,
        field: fieldName(code),
      });
    }
    map.set(code, operators);
  }
  return map;
}

/** `permissions."settings:reveal-secrets"`: a dotted key, quoted where TOML needs it. */
function fieldName(code: string): string {
  return /^[A-Za-z0-9_-]+$/.test(code) ? `permissions.${code}` : `permissions.${JSON.stringify(code)}`;
}
