/**
 * Field-by-field comparison of a stored document with the event a fresh parse of its line gives.
 * Generic on purpose: it walks both documents' leaves instead of naming fields, so a field added
 * to the schema is compared without anyone remembering to add it here.
 */

/** One field whose stored value is not what the line says. `undefined`: the field is absent on that side. */
export interface FieldDifference {
  readonly field: string;
  readonly stored: unknown;
  readonly fromLine: unknown;
}

/**
 * A document's leaves by dotted path, named as the mapping names them: the elements of an array
 * of objects (genesys.participants) add their values to one list per leaf path, in order; an array
 * of scalars is one value. null and empty objects count as absent, as JSON omits undefined.
 */
export function documentLeaves(doc: unknown): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const add = (path: string, value: unknown): void => {
    const list = out.get(path);
    if (list === undefined) out.set(path, [value]);
    else list.push(value);
  };
  const walk = (value: unknown, path: string): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      const items: unknown[] = value;
      if (items.length > 0 && items.every((v) => isPlainObject(v))) for (const item of items) walk(item, path);
      else add(path, items);
      return;
    }
    if (isPlainObject(value)) {
      for (const [name, child] of Object.entries(value)) walk(child, path === '' ? name : `${path}.${name}`);
      return;
    }
    add(path, value);
  };
  walk(doc, '');
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The leaves that differ between the stored document and the one built from the line, sorted by
 * field; leaves in `skip` (fields enrichment or the sink wrote) are not compared.
 */
export function compareDocuments(stored: unknown, fromLine: unknown, skip: ReadonlySet<string>): FieldDifference[] {
  const a = documentLeaves(stored);
  const b = documentLeaves(fromLine);
  const fields = new Set([...a.keys(), ...b.keys()]);
  const out: FieldDifference[] = [];
  for (const field of [...fields].sort()) {
    if (skip.has(field)) continue;
    const sv = a.get(field);
    const lv = b.get(field);
    if (JSON.stringify(sv) === JSON.stringify(lv)) continue;
    out.push({ field, stored: unwrap(sv), fromLine: unwrap(lv) });
  }
  return out;
}

/** A leaf's single value as itself (most leaves); the list for a leaf under an array of objects. */
function unwrap(v: unknown[] | undefined): unknown {
  if (v === undefined) return undefined;
  return v.length === 1 ? v[0] : v;
}
