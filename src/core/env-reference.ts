/**
 * The framework's environment indirection: a settings value that is exactly `${NAME}` or
 * `${NAME:-default}` is replaced by the variable NAME (or the default when NAME is unset or empty) before
 * anything else reads it. Such a value is a pointer, never a secret of its own; only its default is text
 * on disk.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?\}$/;

export interface EnvReference {
  name: string;
  /** the text after `:-`; undefined for a plain `${NAME}` */
  fallback?: string;
}

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

export function formatEnvRef(name: string): string {
  return `\${${name}}`;
}

/** The reference a whole value is, or undefined when it is anything else. */
export function parseEnvReference(value: string): EnvReference | undefined {
  const match = ENV_REFERENCE.exec(value);
  if (!match) return undefined;
  return match[2] === undefined ? { name: match[1] } : { name: match[1], fallback: match[2] };
}

/** A reference whose default is text on disk (`${NAME:-text}`; `${NAME:-}` holds nothing). */
export function hasDefaultOnDisk(reference: EnvReference): boolean {
  return reference.fallback !== undefined && reference.fallback !== '';
}
