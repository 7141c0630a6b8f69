import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { AuditError } from '../core/errors.js';
import { patternRegExp } from './actor.js';

/**
 * ACTOR_DIRECTORY_FILE: who a principal is, for organizations whose sessions are not named by an
 * email. Each entry maps a principal to an email (looked up in Genesys like an email-named
 * session) and/or a Genesys user id (fetched by id, no search). `principal` is either
 * - a Requester pattern (it starts with `arn:`), in the HUMAN_PRINCIPALS syntax: `*` matches any
 *   characters, case-insensitively; without `*` it is one exact Requester; or
 * - a name, compared case-insensitively with the last segment of the Requester: the session name
 *   of an assumed role or federated user, or an IAM user's name.
 * S3 access logs do not carry session tags: an IdP attribute (an employee number, a tag value)
 * can be matched only when the IdP puts it in the session name.
 *
 * CSV (`.csv`): a header naming the columns `principal`, `email`, `genesys_user_id` (any order;
 * `principal` and one of the others required), then one entry per line; `#` lines and blank
 * lines are skipped; a field may be double-quoted. JSON (`.json`): an array of
 * `{principal, email?, genesys_user_id?}` objects. Exact names win over patterns; patterns are
 * tried in file order. Every problem of the file is reported at once, with its line (CSV) or
 * entry number (JSON), as CONFIG_INVALID (exit 78).
 */

export interface DirectoryEntry {
  readonly principal: string;
  /** Lowercased. */
  readonly email?: string;
  /** Lowercased. */
  readonly userId?: string;
}

export interface ActorDirectory {
  readonly size: number;
  /** The entry for a Requester, or undefined. */
  lookup(requester: string): DirectoryEntry | undefined;
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EntrySchema = z
  .object({
    principal: z
      .string()
      .trim()
      .regex(/^\S{1,2048}$/, 'must be one Requester pattern or name, without spaces'),
    email: z.string().trim().regex(EMAIL, 'is not an email address').optional(),
    genesys_user_id: z.string().trim().regex(UUID, 'is not a Genesys user id (a UUID)').optional(),
  })
  .strict()
  .refine((e) => e.email !== undefined || e.genesys_user_id !== undefined, { error: 'needs an email or a genesys_user_id' });

export type ParseResult = { ok: true; entries: DirectoryEntry[] } | { ok: false; problems: string[] };

/** Parses a directory's text; `format` by the file's extension. */
export function parseDirectory(text: string, format: 'csv' | 'json'): ParseResult {
  const rows = format === 'csv' ? csvRows(text) : jsonRows(text);
  if (!rows.ok) return rows;
  const problems: string[] = [];
  const entries: DirectoryEntry[] = [];
  const seen = new Map<string, string>();
  for (const { where, value } of rows.rows) {
    const parsed = EntrySchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${where}: ${issue.path.length > 0 ? `${issue.path.join('.')} ` : ''}${issue.message}`);
      continue;
    }
    const key = parsed.data.principal.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`${where}: principal ${parsed.data.principal} is already mapped at ${first}`);
      continue;
    }
    seen.set(key, where);
    entries.push({
      principal: parsed.data.principal,
      ...(parsed.data.email !== undefined ? { email: parsed.data.email.toLowerCase() } : {}),
      ...(parsed.data.genesys_user_id !== undefined ? { userId: parsed.data.genesys_user_id.toLowerCase() } : {}),
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}

type Rows = { ok: true; rows: { where: string; value: unknown }[] } | { ok: false; problems: string[] };

function jsonRows(text: string): Rows {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`not valid JSON: ${err instanceof Error ? err.message : String(err)}`] };
  }
  if (!Array.isArray(input)) return { ok: false, problems: ['must be a JSON array of {principal, email?, genesys_user_id?} objects'] };
  return { ok: true, rows: input.map((value: unknown, i) => ({ where: `entry ${i + 1}`, value })) };
}

const COLUMNS = new Set(['principal', 'email', 'genesys_user_id']);

function csvRows(text: string): Rows {
  const lines = text.split(/\r?\n/);
  const problems: string[] = [];
  let header: string[] | undefined;
  const rows: { where: string; value: unknown }[] = [];
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = splitCsv(line);
    if (fields === undefined) {
      problems.push(`${where}: unbalanced quotes`);
      return;
    }
    if (header === undefined) {
      header = fields.map((f) => f.trim().toLowerCase());
      const unknown = header.filter((h) => !COLUMNS.has(h));
      if (unknown.length > 0) problems.push(`${where}: unknown column(s) ${unknown.join(', ')}; the columns are principal, email, genesys_user_id`);
      if (!header.includes('principal')) problems.push(`${where}: the header has no principal column`);
      return;
    }
    if (fields.length !== header.length) {
      problems.push(`${where}: ${fields.length} fields, the header has ${header.length}`);
      return;
    }
    const value: Record<string, string> = {};
    header.forEach((h, j) => {
      const f = fields[j]!.trim();
      if (f !== '' && COLUMNS.has(h)) value[h] = f;
    });
    rows.push({ where, value });
  });
  if (header === undefined) problems.push('no header line (principal,email,genesys_user_id)');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

/** One CSV line's fields (RFC 4180 quoting within the line); undefined when a quote is left open. */
function splitCsv(line: string): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

/** The directory over parsed entries. */
export function createDirectory(entries: readonly DirectoryEntry[]): ActorDirectory {
  const byName = new Map<string, DirectoryEntry>();
  const patterns: { re: RegExp; entry: DirectoryEntry }[] = [];
  for (const e of entries) {
    if (e.principal.startsWith('arn:')) patterns.push({ re: patternRegExp([e.principal])!, entry: e });
    else byName.set(e.principal.toLowerCase(), e);
  }
  const find = (requester: string): DirectoryEntry | undefined => {
    if (byName.size > 0) {
      const exact = byName.get(requester.slice(requester.lastIndexOf('/') + 1).toLowerCase());
      if (exact !== undefined) return exact;
    }
    for (const p of patterns) if (p.re.test(requester)) return p.entry;
    return undefined;
  };
  // Log objects hold runs of one requester's lines: the last answer is usually the next one.
  let last: { requester: string; entry: DirectoryEntry | undefined } | undefined;
  return {
    size: entries.length,
    lookup(requester) {
      if (last?.requester !== requester) last = { requester, entry: find(requester) };
      return last.entry;
    },
  };
}

/** Reads ACTOR_DIRECTORY_FILE; undefined when unset. Throws CONFIG_INVALID naming every problem. */
export function loadDirectoryFile(path: string | undefined): ActorDirectory | undefined {
  if (path === undefined) return undefined;
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.json') {
    throw new AuditError('CONFIG_INVALID', `Invalid configuration:\n  ACTOR_DIRECTORY_FILE: ${path} must end in .csv or .json`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AuditError(
      'CONFIG_INVALID',
      `Invalid configuration:\n  ACTOR_DIRECTORY_FILE: ${path} is not readable: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
  const result = parseDirectory(text, ext === '.csv' ? 'csv' : 'json');
  if (!result.ok) {
    throw new AuditError(
      'CONFIG_INVALID',
      `Invalid configuration:\n  ACTOR_DIRECTORY_FILE ${path} is invalid:\n${result.problems.map((p) => `    - ${p}`).join('\n')}`,
      {
        details: { problems: result.problems },
      },
    );
  }
  return createDirectory(result.entries);
}
