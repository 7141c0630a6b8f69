import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildEvent } from '../../../src/event/build.js';
import { ENRICHMENT_ONLY_FIELDS, INDEX_ANALYSIS, INDEX_MAPPINGS, mappingLeaves } from '../../../src/event/mapping.js';
import { documentErrorEvent, lineErrorEvent } from '../../../src/event/pipeline-error.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { generateCorpus } from '../../fixtures/corpus.js';
import { renderLine } from '../../fixtures/render.js';

const samplesDir = fileURLToPath(new URL('../../fixtures/samples/', import.meta.url));

/** Leaf paths of a JSON document with the JSON type of each value (arrays: their elements'). */
function leaves(value: unknown, prefix = '', out = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (Array.isArray(value)) {
    for (const v of value) leaves(v, prefix, out);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === '' ? k : `${prefix}.${k}`, out);
    return out;
  }
  const set = out.get(prefix) ?? new Set<string>();
  set.add(typeof value);
  out.set(prefix, set);
  return out;
}

const COMPATIBLE: Record<string, string[]> = {
  keyword: ['string'],
  ip: ['string'],
  date: ['string'],
  long: ['number'],
  boolean: ['boolean'],
};

/** Events covering every field the parser can produce: all samples, a generated corpus, and edge lines. */
function events(): AccessEvent[] {
  const lines: string[] = [];
  for (const file of ['s3-access-real.log', 's3-access-edge-synthetic.log'])
    lines.push(
      ...readFileSync(`${samplesDir}${file}`, 'utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  lines.push(...generateCorpus(300, 3).map((r) => r.line));
  // A "full" record: every optional field set, a key that does not decode, invalid UTF-8 below.
  lines.push(
    renderLine(
      {
        bucket_owner: 'o',
        bucket: 'b',
        remote_ip: '192.0.2.1',
        requester: 'arn:aws:iam::1:user/u',
        request_id: 'R',
        operation: 'REST.GET.OBJECT',
        key: 'bad%zz',
        request_uri: 'GET /k?Signature=x&a=1 HTTP/1.1',
        http_status: 200,
        error_code: 'E',
        bytes_sent: 1,
        object_size: 2,
        total_time: 3,
        turn_around_time: 4,
        referrer: 'https://r/',
        user_agent: 'ua',
        version_id: 'v',
        host_id: 'h',
        signature_version: 'SigV4',
        cipher_suite: 'c',
        authentication_type: 'QueryString',
        host_header: 'b.s3.eu-west-1.amazonaws.com',
        tls_version: 'TLSv1.2',
        access_point_arn: 'arn:aws:s3:eu-west-1:1:accesspoint/ap',
        acl_required: 'Yes',
        source_region: 'eu-west-1',
        unknown_fields: ['x'],
      },
      '2024-01-01T00:00:00.000Z',
    ),
  );
  // A person's assumed-role session (actor.email) deleting one version (aws.s3.object.version_id).
  const [first] = lines;
  lines.push(
    first!
      .replace(/ (\S+) (\S+) REST\.\S+ /, ' arn:aws:sts::123456789012:assumed-role/qa/jane.doe@example.org $2 REST.DELETE.OBJECT ')
      .replace(/"[A-Z]+ [^"]*"/, '"DELETE /k?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY HTTP/1.1"'),
  );
  const out: AccessEvent[] = [];
  for (const [i, l] of lines.entries()) {
    const r = buildEvent({ number: i + 1, bytes: Buffer.from(l) }, { logBucket: 'logs', filePath: 'p' });
    if (r.ok) out.push(r.doc.event);
  }
  const invalid = buildEvent(
    { number: 1, bytes: Buffer.from(lines[0]!.replace('S3Console/0.4', 'S3Console/\u00ff'), 'latin1') },
    { logBucket: 'logs', filePath: 'p' },
  );
  if (invalid.ok) out.push(invalid.doc.event);
  return out;
}

/** pipeline_error events: a parse reject with a detail and a presigned URL, and a document OpenSearch refused. */
function errorEvents(): unknown[] {
  const ctx = { source: 's3://logs/k', objectTime: '2024-01-01T00:00:00.000Z' };
  const raw = Buffer.from('o b [01/Jan/2024:00:00:00 +0000] 192.0.2.1 - R REST.GET.OBJECT k "GET /k?X-Amz-Signature=abc HTTP/1.1" 200 x');
  const line = lineErrorEvent({ reason: 'bad_number', stage: 'parse', id: 'i', hash: 'h', raw, line: 3, detail: 'not a number' }, ctx);
  const refused = events()[0]!;
  const doc = documentErrorEvent({ id: 'j', event: refused }, 'mapper_parsing_exception', ctx, 'failed to parse');
  return [line.event, doc.event];
}

/** The mapping definition of a dotted leaf path. */
function mappingAt(path: string): unknown {
  let node: unknown = INDEX_MAPPINGS;
  for (const part of path.split('.')) node = (node as { properties: Record<string, unknown> }).properties[part];
  return node;
}

describe('INDEX_MAPPINGS', () => {
  const mapped = mappingLeaves();
  const produced = new Map<string, Set<string>>();
  for (const e of [...events(), ...errorEvents()])
    for (const [path, types] of leaves(JSON.parse(JSON.stringify(e)))) for (const t of types) produced.set(path, (produced.get(path) ?? new Set()).add(t));

  it('refuses unknown fields', () => {
    expect(INDEX_MAPPINGS.dynamic).toBe('strict');
  });

  it('maps every field an event has, with a compatible type', () => {
    for (const [path, types] of produced) {
      const type = mapped.get(path);
      expect(type, `${path} is not in the mapping`).toBeDefined();
      for (const t of types) expect(COMPATIBLE[type!], `${path}: ${t} into ${type}`).toContain(t);
    }
  });

  it('every mapped field is produced by some event or filled later by enrichment (aliases are never stored)', () => {
    const unused = [...mapped.entries()].filter(([p, type]) => type !== 'alias' && !produced.has(p)).map(([p]) => p);
    expect(unused.sort()).toEqual([...ENRICHMENT_ONLY_FIELDS].sort());
    // OpenSearch refuses a document that holds a value for an alias field.
    for (const [p, type] of mapped) if (type === 'alias') expect(produced.has(p), `${p} is an alias but some event stores it`).toBe(false);
  });

  it('the Elastic aws_s3access ECS names are aliases of the raw aws.s3access fields', () => {
    const aliases = new Map<string, string>();
    const walk = (properties: Record<string, unknown>, prefix: string): void => {
      for (const [name, def] of Object.entries(properties)) {
        const d = def as { type?: string; path?: string; properties?: Record<string, unknown> };
        if (d.properties !== undefined) walk(d.properties, `${prefix}${name}.`);
        else if (d.type === 'alias') aliases.set(`${prefix}${name}`, d.path!);
      }
    };
    walk(INDEX_MAPPINGS.properties, '');
    expect(Object.fromEntries(aliases)).toEqual({
      'event.action': 'aws.s3access.operation',
      'event.id': 'aws.s3access.request_id',
      'event.code': 'aws.s3access.error_code',
      'client.ip': 'aws.s3access.remote_ip',
      'client.address': 'aws.s3access.remote_ip',
      'client.user.id': 'aws.s3access.requester',
      'source.ip': 'aws.s3access.remote_ip',
      'source.address': 'aws.s3access.remote_ip',
      'user.id': 'aws.s3access.requester',
      'related.ip': 'aws.s3access.remote_ip',
      'related.user': 'aws.s3access.requester',
      'user_agent.original': 'aws.s3access.user_agent',
      'http.request.referrer': 'aws.s3access.referrer',
      'http.response.status_code': 'aws.s3access.http_status',
      'http.response.body.bytes': 'aws.s3access.bytes_sent',
      'tls.cipher': 'aws.s3access.cipher_suite',
      'url.domain': 'aws.s3access.host_header',
      'url.original': 'aws.s3access.request_uri',
      'aws.s3.bucket.name': 'aws.s3access.bucket',
    });
    // Every target is a concrete field: a mapped leaf, or a subfield of one.
    const s3access = INDEX_MAPPINGS.properties.aws.properties.s3access.properties as Record<string, { type: string; fields?: Record<string, unknown> }>;
    for (const [name, target] of aliases) {
      const [field, sub] = target.slice('aws.s3access.'.length).split('.');
      expect(s3access[field!], name).toBeDefined();
      expect(s3access[field!]!.type, name).not.toBe('alias');
      if (sub !== undefined) expect(s3access[field!]!.fields?.[sub], name).toBeDefined();
    }
    // The v1 stored names that are gone in v2 (neither stored nor aliased).
    for (const gone of ['user.name', 'url.path', 'url.query', 'tls.version_protocol', 'aws.s3.bucket.arn']) expect(mapped.has(gone), gone).toBe(false);
  });

  it('uses only field types the bare OpenSearch distribution has, and caps keyword length', () => {
    for (const [path, type] of mapped) {
      expect(['keyword', 'ip', 'date', 'long', 'boolean', 'alias'], path).toContain(type);
    }
    // No plugin types and no custom analyzers; the one normalizer is in INDEX_ANALYSIS.
    expect(JSON.stringify(INDEX_MAPPINGS)).not.toMatch(/analyzer|scaled_float|wildcard|flattened/);
    expect(new Set(JSON.stringify(INDEX_MAPPINGS).match(/"normalizer":"(\w+)"/g))).toEqual(new Set(['"normalizer":"lower"']));
    expect(Object.keys(INDEX_ANALYSIS.normalizer)).toEqual(['lower']);
    // Only the core `lowercase` filter: asciifolding is in the analysis-common module, which the
    // bare 2.x distribution lacks (names are folded by the product: name_folded).
    expect(INDEX_ANALYSIS.normalizer.lower.filter).toEqual(['lowercase']);
    // Subfield types: match_only_text (bare since OpenSearch 2.12) and text.
    const types = new Set([...JSON.stringify(INDEX_MAPPINGS).matchAll(/"type":"(\w+)"/g)].map((m) => m[1]));
    expect([...types].sort()).toEqual(['alias', 'boolean', 'date', 'ip', 'keyword', 'long', 'match_only_text', 'nested', 'text']);
    const s3access = INDEX_MAPPINGS.properties.aws.properties.s3access.properties;
    expect(s3access.user_agent).toEqual({ type: 'keyword', ignore_above: 8191, fields: { text: { type: 'match_only_text' } } });
    expect(s3access.request_uri).toEqual({ type: 'keyword', ignore_above: 8191, doc_values: false });
    for (const [path, type] of mapped) if (type === 'keyword') expect(JSON.stringify(mappingAt(path)), path).toMatch(/"ignore_above":8191|"index":false/);
  });

  it('has the enrichment fields the enrichment stage writes', () => {
    for (const f of ['genesys.conversation.start', 'genesys.recording.start', 'genesys.recording.end', 'enrichment.resolved_at', 'event.ingested'])
      expect(mapped.get(f)).toBe('date');
    expect(mapped.get('genesys.participants.user_id')).toBe('keyword');
    // One participant's fields match together only in a nested document.
    expect(INDEX_MAPPINGS.properties.genesys.properties.participants.type).toBe('nested');
    expect(INDEX_MAPPINGS.properties.genesys.properties.participants.properties.name.fields).toEqual({
      lower: { type: 'keyword', normalizer: 'lower', ignore_above: 8191 },
      text: { type: 'text' },
    });
    expect(mapped.get('event.self')).toBe('boolean');
  });
});
