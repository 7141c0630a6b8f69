/**
 * The settings DSL: each setting is declared once with its name, type, default and documentation.
 * docs/configuration.md's tables and the validation messages both come from these declarations,
 * so a setting cannot be documented under one name and read under another.
 */

export type SettingGroup = 'core' | 'sqs' | 'opensearch' | 'pipeline' | 'quarantine' | 'genesys' | 'recordings' | 'replay' | 'detect' | 'ops';

interface SettingBase<T> {
  readonly group: SettingGroup;
  readonly doc: string;
  /** Never printed, never logged. */
  readonly secret?: boolean;
  readonly default?: T;
  readonly parse: (raw: string) => { ok: true; value: T } | { ok: false; problem: string };
  readonly kind: string;
}

export type Setting<T> = SettingBase<T>;

/** A setting whose declaration gave a default, so its value is always present. */
type Defaulted<T, O> = O extends { default: T } ? Setting<T> & { readonly default: T } : Setting<T>;

function declare<T, O>(setting: Setting<T>): Defaulted<T, O> {
  return setting as Defaulted<T, O>;
}

export function str<const O extends { default?: string; secret?: boolean; pattern?: RegExp; patternDoc?: string }>(
  group: SettingGroup,
  doc: string,
  opts: O = {} as O,
): Defaulted<string, O> {
  return declare<string, O>({
    group,
    doc,
    kind: 'string',
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    ...(opts.secret ? { secret: true } : {}),
    parse: (raw) => {
      const value = raw.trim();
      if (value === '') return { ok: false, problem: 'must not be empty' };
      if (opts.pattern && !opts.pattern.test(value)) {
        return { ok: false, problem: `must be ${opts.patternDoc ?? `of the form ${String(opts.pattern)}`}` };
      }
      return { ok: true, value };
    },
  });
}

/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves the host (or the task). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

export function url<const O extends { default?: string; protocols?: string[]; httpsExceptLoopback?: boolean }>(
  group: SettingGroup,
  doc: string,
  opts: O = {} as O,
): Defaulted<string, O> {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  return declare<string, O>({
    group,
    doc,
    kind: 'url',
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    parse: (raw) => {
      const value = raw.trim();
      let parsed: URL;
      try {
        parsed = new URL(value);
      } catch {
        return { ok: false, problem: `must be a URL (${protocols.join(' or ')}), got an unparsable value` };
      }
      if (!protocols.includes(parsed.protocol)) {
        return { ok: false, problem: `must use ${protocols.join(' or ')}, got ${parsed.protocol}` };
      }
      if (opts.httpsExceptLoopback === true && parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname)) {
        return {
          ok: false,
          problem: `must use https: (http: is accepted only on loopback: 127.0.0.0/8, ::1, localhost), got ${parsed.protocol}//${parsed.host}`,
        };
      }
      return { ok: true, value: value.replace(/\/+$/, '') };
    },
  });
}

export function int<const O extends { default?: number; min?: number; max?: number }>(
  group: SettingGroup,
  doc: string,
  opts: O = {} as O,
): Defaulted<number, O> {
  const min = opts.min ?? 0;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return declare<number, O>({
    group,
    doc,
    kind: `integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}`.trimEnd(),
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    parse: (raw) => {
      const value = raw.trim();
      if (!/^-?\d+$/.test(value)) return { ok: false, problem: `must be a whole number, got "${value}"` };
      const n = Number(value);
      if (n < min || n > max) return { ok: false, problem: `must be between ${min} and ${max}, got ${n}` };
      return { ok: true, value: n };
    },
  });
}

export function bool<const O extends { default?: boolean }>(group: SettingGroup, doc: string, opts: O = {} as O): Defaulted<boolean, O> {
  return declare<boolean, O>({
    group,
    doc,
    kind: 'boolean',
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(value)) return { ok: true, value: true };
      if (['false', '0', 'no', 'off'].includes(value)) return { ok: true, value: false };
      return { ok: false, problem: `must be true or false, got "${raw}"` };
    },
  });
}

export function oneOf<const T extends string, const O extends { default?: T } = { default?: undefined }>(
  group: SettingGroup,
  doc: string,
  values: readonly T[],
  opts: O = {} as O,
): Defaulted<T, O> {
  return declare<T, O>({
    group,
    doc,
    kind: values.join(' \\| '),
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    parse: (raw) => {
      const value = raw.trim();
      return (values as readonly string[]).includes(value)
        ? { ok: true, value: value as T }
        : { ok: false, problem: `must be one of ${values.join(', ')}, got "${value}"` };
    },
  });
}

/** A comma-separated list (a JSON array in the config file). */
export function list<const O extends { default?: string[]; separator?: string; item?: (v: string) => string | undefined }>(
  group: SettingGroup,
  doc: string,
  opts: O = {} as O,
): Defaulted<string[], O> {
  const separator = opts.separator ?? ',';
  return declare<string[], O>({
    group,
    doc,
    kind: separator === ',' ? 'comma-separated list' : `list separated by "${separator}"`,
    ...(opts.default !== undefined ? { default: opts.default } : {}),
    parse: (raw) => {
      const items = raw
        .split(separator)
        .map((s) => s.trim())
        .filter((s) => s !== '');
      for (const item of items) {
        const problem = opts.item?.(item);
        if (problem !== undefined) return { ok: false, problem: `item "${item}" ${problem}` };
      }
      return { ok: true, value: items };
    },
  });
}
