import type { Client } from '@opensearch-project/opensearch';
import { z } from 'zod';
import { AuditError } from '../../core/errors.js';
import { ALL_MONTHS_SHORT, isMonth, monthOfIndex, type IdCutover } from '../../event/document-id.js';
import type { IndexMappings } from './template.js';

/**
 * Where the access events' id cutover (src/event/document-id.ts) is recorded and how `setup`
 * chooses it. It lives in the template's mapping `_meta.document_ids`, so every monthly index
 * created from the template copies it, and `setup` puts it on the existing monthly indices with
 * the rest of the mapping: any index says, by itself, which form its ids have.
 */

const META_KEY = 'document_ids';
/** The form name written beside the cutover, for a reader of the raw mapping. */
const SHORT_FORM = 'sha256-128-base64url';

/**
 * A running worker of the release before this form may still write hex ids: it accepts a
 * template of a later revision. The cutover is the first month that begins at least this long
 * after `setup`, so a rolling deploy finishes before it (docs/operations/setup.md).
 */
export const CUTOVER_MARGIN_MS = 7 * 24 * 3600 * 1000;

const MetaSchema = z.looseObject({ [META_KEY]: z.looseObject({ short_from: z.string() }) });

/** The cutover a mapping `_meta` records; undefined when it records none (every month hex). */
export function idCutoverOfMeta(meta: unknown): IdCutover | undefined {
  const parsed = MetaSchema.safeParse(meta);
  if (!parsed.success) return undefined;
  const from = parsed.data[META_KEY].short_from;
  return isMonth(from) ? { shortFrom: from } : undefined;
}

/** The mappings with the cutover in `_meta` (unchanged without one). */
export function withIdCutover(mappings: IndexMappings, cutover: IdCutover | undefined): IndexMappings {
  if (cutover === undefined) return mappings;
  const meta = (mappings._meta ?? {}) as Record<string, unknown>;
  return { ...mappings, _meta: { ...meta, [META_KEY]: { form: SHORT_FORM, short_from: cutover.shortFrom } } };
}

const TemplateSchema = z.object({
  index_templates: z.array(
    z.object({
      name: z.string(),
      index_template: z.object({ template: z.object({ mappings: z.object({ _meta: z.unknown() }).partial() }).partial() }).partial(),
    }),
  ),
});

interface InstalledCutover {
  /** Whether the template exists at all. */
  readonly template: boolean;
  readonly cutover: IdCutover | undefined;
}

/** The cutover the installed template `name` records. */
export async function installedIdCutover(client: Client, name: string): Promise<InstalledCutover> {
  const res = await client.transport.request({ method: 'GET', path: `/_index_template/${encodeURIComponent(name)}` }, { ignore: [404] });
  if (res.statusCode === 404) return { template: false, cutover: undefined };
  const parsed = TemplateSchema.safeParse(res.body);
  const found = parsed.success ? parsed.data.index_templates.find((t) => t.name === name) : undefined;
  return { template: found !== undefined, cutover: idCutoverOfMeta(found?.index_template.template?.mappings?._meta) };
}

/** `YYYY.MM` of the month after the one `ms` falls in (UTC); undefined past 9999. */
function monthAfter(month: string): string | undefined {
  const [y, m] = month.split('.').map(Number) as [number, number];
  const next = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 };
  return next.y > 9999 ? undefined : `${String(next.y).padStart(4, '0')}.${String(next.m).padStart(2, '0')}`;
}

const monthOf = (ms: number): string => {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};

/**
 * The cutover `setup` records for the access events of `prefix`, chosen once:
 *  - the one the installed template records, if any (never moved: months already written keep their form);
 *  - else the one the existing monthly indices record (the template was deleted since);
 *  - every month short when neither the template nor any monthly index exists (nothing was ever written);
 *  - otherwise the month after both the latest monthly index and the month that begins
 *    CUTOVER_MARGIN_MS after `now`: no existing index, and no month an older worker may still be
 *    writing, changes form. Undefined (every month hex) only past the year 9999.
 */
export async function chooseIdCutover(client: Client, prefix: string, now: number): Promise<IdCutover | undefined> {
  const installed = await installedIdCutover(client, prefix);
  if (installed.cutover !== undefined) return installed.cutover;
  const indices = await monthlyIndices(client, prefix);
  // A template deleted and set up again: the indices still say which form their months have.
  const recorded = [...new Set([...(await idCutoversOfIndices(client, indices)).values()].map((c) => c?.shortFrom))].filter((m) => m !== undefined);
  if (recorded.length > 1) {
    throw new AuditError(
      'SINK_REJECTED',
      `the monthly indices of ${prefix} record different document id cutovers (${recorded.join(', ')}); set the template's by hand`,
    );
  }
  if (recorded[0] !== undefined) return { shortFrom: recorded[0] };
  const months = indices.map(monthOfIndex).filter((m): m is string => m !== undefined);
  if (!installed.template && months.length === 0) return ALL_MONTHS_SHORT;
  const latest = [monthOf(now + CUTOVER_MARGIN_MS), ...months].sort().at(-1)!;
  const from = monthAfter(latest);
  return from === undefined ? undefined : { shortFrom: from };
}

/**
 * The existing `<prefix>-YYYY.MM` indices (closed ones too), through the alias API: every index
 * is listed, with or without aliases, under the setup role's indices:admin/aliases/get.
 */
async function monthlyIndices(client: Client, prefix: string): Promise<string[]> {
  const res = await client.transport.request(
    { method: 'GET', path: `/${encodeURIComponent(`${prefix}-*.*`)}/_alias`, querystring: { allow_no_indices: true, expand_wildcards: 'all' } },
    { ignore: [404] },
  );
  const body = z.record(z.string(), z.unknown()).safeParse(res.body);
  if (res.statusCode === 404 || !body.success) return [];
  return Object.keys(body.data).filter((i) => i.length === prefix.length + 8 && i.startsWith(`${prefix}-`) && monthOfIndex(i) !== undefined);
}

const MappingMetaSchema = z.record(z.string(), z.object({ mappings: z.object({ _meta: z.unknown() }).partial() }));

/** The cutover each of `indices` records in its own mapping (undefined: hex ids), by concrete index name. */
export async function idCutoversOfIndices(client: Client, indices: readonly string[]): Promise<Map<string, IdCutover | undefined>> {
  const out = new Map<string, IdCutover | undefined>();
  if (indices.length === 0) return out;
  const res = await client.transport.request({
    method: 'GET',
    path: `/${indices.map(encodeURIComponent).join(',')}/_mapping`,
    // A closed month cannot be written to; it is left out rather than failing the read.
    querystring: { filter_path: '*.mappings._meta', ignore_unavailable: true, expand_wildcards: 'all' },
  });
  const parsed = MappingMetaSchema.safeParse(res.body ?? {});
  for (const index of indices) out.set(index, parsed.success ? idCutoverOfMeta(parsed.data[index]?.mappings._meta) : undefined);
  return out;
}
