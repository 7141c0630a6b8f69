import { INDEX_MAPPINGS } from './mapping.js';

/**
 * The field reference of docs/event-schema.md: one entry per leaf of INDEX_MAPPINGS, with what it
 * holds and the analyst question it answers. `npm run docs` writes the table; a unit test fails
 * when a mapping leaf has no entry or an entry names a field the mapping lacks, so the reference
 * cannot drift from the index.
 */

/** The analyst question a field answers, as the docs group them. */
export type FieldQuestion =
  | 'when'
  | 'who'
  | 'from where'
  | 'what'
  | 'outcome'
  | 'which recording'
  | 'whose recording'
  | 'presigned by whom'
  | 'deleted how'
  | 'evidence'
  | 'how'
  | 'completeness'
  | 'quarantine'
  | 'schema';

export interface FieldDoc {
  readonly meaning: string;
  readonly question: FieldQuestion;
}

/** A leaf of the mapping as the reference shows it. */
export interface MappingLeaf {
  readonly path: string;
  readonly type: string;
  /** For an alias: the field it points at. */
  readonly aliasOf?: string;
  readonly index?: boolean;
  readonly docValues?: boolean;
  readonly nested: boolean;
  /** Subfield names (`text`, `lower`) with their types. */
  readonly subfields: readonly (readonly [string, string])[];
}

interface Def {
  type?: string;
  path?: string;
  index?: boolean;
  doc_values?: boolean;
  properties?: Record<string, unknown>;
  fields?: Record<string, { type?: string }>;
}

/** Every leaf of the mapping with the options the reference shows (mappingLeaves gives the types only). */
export function mappingLeafDetails(mappings: { properties: Record<string, unknown> } = INDEX_MAPPINGS): MappingLeaf[] {
  const out: MappingLeaf[] = [];
  const walk = (properties: Record<string, unknown>, prefix: string, nested: boolean): void => {
    for (const [name, raw] of Object.entries(properties)) {
      const d = raw as Def;
      if (d.properties !== undefined) {
        walk(d.properties, `${prefix}${name}.`, nested || d.type === 'nested');
        continue;
      }
      out.push({
        path: `${prefix}${name}`,
        type: d.type ?? 'object',
        aliasOf: d.path,
        index: d.index,
        docValues: d.doc_values,
        nested,
        subfields: Object.entries(d.fields ?? {}).map(([sub, def]) => [sub, def.type ?? 'object'] as const),
      });
    }
  };
  walk(mappings.properties, '', false);
  return out;
}

const RAW = 'Raw S3 log field';

/** The linker's fields (linkProps), the same on the access and the CloudTrail events. */
export const LINK_FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  'link.sources': {
    meaning:
      'Written by the linker, after the fact: the datasets that have this request (`aws.cloudtrail`, `aws.s3access`). Absent until linked; `reconcile` and `query` do not need it.',
    question: 'completeness',
  },
  'link.twin_id': { meaning: "Document ids of the other source's events for the same request (same `event.id` and bucket).", question: 'completeness' },
  'link.linked_at': { meaning: 'When the linker wrote the link.', question: 'completeness' },
};

/** One entry per mapping leaf (the unit test checks both directions). */
export const FIELD_DOCS: Readonly<Record<string, FieldDoc>> = {
  '@timestamp': {
    meaning: "Request time from the record, converted to UTC; picks the monthly index. For pipeline_error: the log object's time.",
    question: 'when',
  },
  'event.kind': { meaning: '`event` for an access, `pipeline_error` for a quarantined line: filter on `event` for accesses.', question: 'schema' },
  'event.dataset': { meaning: '`aws.s3access`.', question: 'schema' },
  'event.module': { meaning: '`aws` (as Elastic writes it).', question: 'schema' },
  'event.outcome': { meaning: '`success` (2xx/3xx), `failure` (4xx/5xx), `unknown` (no status).', question: 'outcome' },
  'event.category': { meaning: '`["file"]`; `["error"]` on pipeline_error.', question: 'schema' },
  'event.type': {
    meaning: '`deletion`, `creation`, `change` or `access` from the operation, plus `denied` on 403.',
    question: 'what',
  },
  'event.hash': {
    meaning:
      'sha256 of the raw line bytes (hex). Not searchable: find a line by its `_id`, sha256("<log bucket>\\n<event.hash>") in its month\'s form (hex, or the first 128 bits as base64url).',
    question: 'evidence',
  },
  'event.redacted': { meaning: 'Credential values were replaced with `[redacted]` in the Request-URI, Referer or User-Agent.', question: 'evidence' },
  'event.invalid_utf8': { meaning: 'The line had bytes that are not UTF-8 (text decoded leniently, hash over the raw bytes).', question: 'evidence' },
  'event.parser_version': { meaning: 'Version of the parser that built the document.', question: 'evidence' },
  'event.self': { meaning: 'Made by recording-audit itself; `true` or `false` on every event, so `term false` leaves the product out.', question: 'who' },
  'event.ingested': { meaning: 'When the worker wrote the stored copy.', question: 'evidence' },
  'event.duration': { meaning: 'S3 Total Time in nanoseconds (ECS).', question: 'how' },
  'event.original': { meaning: 'pipeline_error only: the quarantined line, credentials redacted; `.text` for a word of it.', question: 'quarantine' },
  'event.action': { meaning: 'ECS name of the S3 operation, e.g. `REST.GET.OBJECT`.', question: 'what' },
  'event.id': { meaning: 'ECS name of the S3 Request ID (not unique per record: copies share one).', question: 'evidence' },
  'event.code': { meaning: 'ECS name of the S3 error code, e.g. `AccessDenied`.', question: 'outcome' },
  'ecs.version': { meaning: 'ECS version the names follow.', question: 'schema' },
  'error.code': { meaning: 'pipeline_error only: the quarantine reason (docs/operations.md codes).', question: 'quarantine' },
  'error.type': { meaning: 'pipeline_error only: the stage that refused the line (`parse`, `admission`, `index`).', question: 'quarantine' },
  'error.message': { meaning: 'pipeline_error only: the detail, redacted.', question: 'quarantine' },
  'cloud.provider': { meaning: '`aws`.', question: 'schema' },
  'cloud.region': { meaning: "The bucket's region, from the access point ARN or a regional Host header.", question: 'from where' },
  'client.ip': { meaning: 'ECS name of the remote IP (ip type: CIDR `term` and `range` work).', question: 'from where' },
  'client.address': { meaning: 'ECS name of the remote IP.', question: 'from where' },
  'client.user.id': { meaning: 'ECS name of the Requester as logged (ARN, canonical id, `svc:…`).', question: 'who' },
  'source.ip': { meaning: 'Pre-v2 name of the remote IP, kept for old queries.', question: 'from where' },
  'source.address': { meaning: 'Pre-v2 name of the remote IP, kept for old queries.', question: 'from where' },
  'user.id': { meaning: 'Pre-v2 name of the Requester, kept for old queries.', question: 'who' },
  'related.ip': { meaning: 'ECS pivot name of the remote IP.', question: 'from where' },
  'related.user': { meaning: 'ECS pivot name of the Requester (Genesys user ids are in `genesys.agent.user_ids`).', question: 'who' },
  'user_agent.original': { meaning: 'ECS name of the User-Agent, exact (a word of it: `aws.s3access.user_agent.text`).', question: 'how' },
  'http.request.method': { meaning: 'HTTP method from the Request-URI.', question: 'what' },
  'http.request.referrer': { meaning: 'ECS name of the Referer.', question: 'from where' },
  'http.response.status_code': { meaning: 'ECS name of the HTTP status.', question: 'outcome' },
  'http.response.body.bytes': { meaning: 'ECS name of Bytes Sent.', question: 'what' },
  'http.version': { meaning: 'HTTP version from the Request-URI, e.g. `1.1`.', question: 'how' },
  'tls.version': { meaning: 'TLS version as a number, e.g. `1.2`.', question: 'how' },
  'tls.cipher': { meaning: 'ECS name of the cipher suite.', question: 'how' },
  'url.extension': { meaning: "The decoded key's extension, lowercase, without the dot (`opus`, `json`).", question: 'which recording' },
  'url.domain': { meaning: 'ECS name of the Host header.', question: 'how' },
  'url.original': { meaning: 'ECS name of the request line (credentials redacted): `term`, `prefix`, `wildcard` (with `case_insensitive`).', question: 'what' },
  'actor.kind': {
    meaning: '`human`, `service`, `self`, `anonymous` or `unknown`, decided by SERVICE_PRINCIPALS / HUMAN_PRINCIPALS / SELF_ROLE_ARNS.',
    question: 'who',
  },
  'actor.email': { meaning: 'The session name when it is an email address (SSO/SAML sessions): the person. Case as logged.', question: 'who' },
  'actor.genesys_user_id': {
    meaning:
      'The Genesys user the principal is (enrichment): found by actor.email in the users search, or named by ACTOR_DIRECTORY_FILE. Lowercase. Compare with `genesys.participants.user_id` (nested) for "was the reader on the call".',
    question: 'who',
  },
  'actor.name': { meaning: "That Genesys user's name as Genesys spells it (`.lower` lowercased, `.text` for a word).", question: 'who' },
  'actor.name_folded': { meaning: 'The name lowercased without accents, for search (src/event/names.ts).', question: 'who' },
  'actor.division.id': { meaning: "The Genesys user's division id.", question: 'who' },
  'actor.division.name': { meaning: "The Genesys user's division name.", question: 'who' },
  'actor.department': { meaning: "The Genesys user's department, when Genesys has one.", question: 'who' },
  'aws.s3access.bucket_owner': { meaning: `${RAW}: canonical id of the bucket owner.`, question: 'which recording' },
  'aws.s3access.bucket': { meaning: `${RAW}: the accessed (recordings) bucket.`, question: 'which recording' },
  'aws.s3access.remote_ip': { meaning: `${RAW}: the client's IP (a value that is not an IP stays in _source only).`, question: 'from where' },
  'aws.s3access.requester': { meaning: `${RAW}: the Requester ARN, canonical id or \`svc:…\`; absent when anonymous.`, question: 'who' },
  'aws.s3access.request_id': { meaning: `${RAW}: the Request ID (AWS support, CloudTrail).`, question: 'evidence' },
  'aws.s3access.operation': { meaning: `${RAW}: the operation, e.g. \`REST.GET.OBJECT\`, \`REST.DELETE.OBJECT\`.`, question: 'what' },
  'aws.s3access.key': { meaning: `${RAW}: the key URL-encoded as logged. Query \`aws.s3.object.key\` instead.`, question: 'evidence' },
  'aws.s3access.request_uri': {
    meaning: `${RAW}: the request line (method, target, protocol), credentials redacted; \`url.original\` is its ECS alias.`,
    question: 'what',
  },
  'aws.s3access.http_status': { meaning: `${RAW}: the HTTP status.`, question: 'outcome' },
  'aws.s3access.error_code': { meaning: `${RAW}: the S3 error code, e.g. \`AccessDenied\`.`, question: 'outcome' },
  'aws.s3access.bytes_sent': { meaning: `${RAW}: bytes sent to the client (0 when logged \`-\` with a status).`, question: 'what' },
  'aws.s3access.object_size': { meaning: `${RAW}: the object's size.`, question: 'what' },
  'aws.s3access.total_time': { meaning: `${RAW}: Total Time in ms. Query \`event.duration\` (ns) instead.`, question: 'how' },
  'aws.s3access.turn_around_time': { meaning: `${RAW}: Turn-Around Time in ms.`, question: 'how' },
  'aws.s3access.referrer': { meaning: `${RAW}: the Referer, credentials redacted.`, question: 'from where' },
  'aws.s3access.user_agent': { meaning: `${RAW}: the User-Agent, exact; \`.text\` for a word or phrase (\`boto3\`).`, question: 'how' },
  'aws.s3access.version_id': { meaning: `${RAW}: the object version the request addressed.`, question: 'which recording' },
  'aws.s3access.host_id': { meaning: `${RAW}: S3's trace id, for AWS support (find it through request_id).`, question: 'evidence' },
  'aws.s3access.signature_version': { meaning: `${RAW}: \`SigV2\` or \`SigV4\`.`, question: 'how' },
  'aws.s3access.cipher_suite': { meaning: `${RAW}: the TLS cipher suite.`, question: 'how' },
  'aws.s3access.authentication_type': { meaning: `${RAW}: \`AuthHeader\`, or \`QueryString\` for a presigned URL.`, question: 'presigned by whom' },
  'aws.s3access.host_header': { meaning: `${RAW}: the endpoint the client used.`, question: 'how' },
  'aws.s3access.tls_version': { meaning: `${RAW}: the TLS version as logged, e.g. \`TLSv1.2\`.`, question: 'how' },
  'aws.s3access.access_point_arn': { meaning: `${RAW}: the access point the request went through.`, question: 'how' },
  'aws.s3access.acl_required': { meaning: `${RAW}: \`Yes\` when an ACL granted the request.`, question: 'how' },
  'aws.s3access.source_region': { meaning: `${RAW}: the requester's region.`, question: 'from where' },
  'aws.s3access.unknown_fields': { meaning: 'Fields after the 27th, as logged (future S3 fields).', question: 'schema' },
  'aws.s3access.field_count': { meaning: 'Number of fields in the line (17–26: a legacy record).', question: 'evidence' },
  'aws.principal.type': {
    meaning: '`IAMUser`, `AssumedRole`, `FederatedUser`, `Root`, `AWSService`, `AWSAccount` or `Anonymous` (CloudTrail vocabulary).',
    question: 'who',
  },
  'aws.principal.account_id': { meaning: "The ARN's 12-digit account.", question: 'who' },
  'aws.principal.role_name': { meaning: 'The assumed role.', question: 'who' },
  'aws.principal.session_name': { meaning: 'The assumed-role or federated session name (often an email).', question: 'who' },
  'aws.s3.bucket.name': { meaning: 'ECS name of the accessed bucket.', question: 'which recording' },
  'aws.s3.object.key': { meaning: 'The key, URL-decoded: filter with `term` or `prefix`.', question: 'which recording' },
  'aws.s3.object.key_decode_failed': { meaning: 'The key could not be decoded and is kept as logged.', question: 'evidence' },
  'aws.s3.object.version_id': {
    meaning: "A DELETE's `versionId` parameter: that version is gone for good; absent: a delete marker.",
    question: 'deleted how',
  },
  'aws.s3.presigned.access_key_id': {
    meaning: 'Access key id that signed a presigned URL (CloudTrail leads from an `ASIA…` key to its AssumeRole).',
    question: 'presigned by whom',
  },
  'aws.s3.presigned.signed_at': { meaning: 'When the URL was signed (`X-Amz-Date`).', question: 'presigned by whom' },
  'aws.s3.presigned.expires_at': { meaning: 'Until when the URL was valid.', question: 'presigned by whom' },
  'aws.s3.presigned.expires_in_secs': { meaning: '`X-Amz-Expires`: validity in seconds.', question: 'presigned by whom' },
  'log.file.path': { meaning: '`s3://<log-bucket>/<log-key>`: the log object holding the raw line.', question: 'evidence' },
  'log.offset': { meaning: '1-based line number of the raw line in that object.', question: 'evidence' },
  'genesys.organization.id': { meaning: 'Genesys organization, from the export key.', question: 'which recording' },
  'genesys.conversation.id': { meaning: 'The conversation (patient interaction) the recording belongs to.', question: 'which recording' },
  'genesys.conversation.start': { meaning: 'Conversation start.', question: 'which recording' },
  'genesys.recording.id': { meaning: 'The recording.', question: 'which recording' },
  'genesys.recording.file': { meaning: '`media` or `metadata` (the `_metadata.json` sidecar).', question: 'which recording' },
  'genesys.recording.media_type': { meaning: 'Recording media type, e.g. `audio`.', question: 'which recording' },
  'genesys.recording.start': { meaning: 'Recording start.', question: 'which recording' },
  'genesys.recording.end': { meaning: 'Recording end.', question: 'which recording' },
  'genesys.recording.file_state': { meaning: "Genesys's file state of the recording.", question: 'which recording' },
  'genesys.participants.user_id': { meaning: "A participant's Genesys user id (nested: query with `nested`).", question: 'whose recording' },
  'genesys.participants.name': {
    meaning: "A Genesys user's name, exact; `.lower` lowercase, `.text` by word (nested).",
    question: 'whose recording',
  },
  'genesys.participants.name_folded': {
    meaning: 'The name lowercased without accents, by the product (src/event/names.ts): `term` with the name folded the same way (nested).',
    question: 'whose recording',
  },
  'genesys.participants.purpose': { meaning: "A participant's role: `agent`, `user`, `customer`, ... (nested).", question: 'whose recording' },
  'genesys.agent.user_ids': {
    meaning: "Genesys users who handled the conversation (purpose agent/user, plus the sidecar's): a plain keyword array.",
    question: 'whose recording',
  },
  'enrichment.status': { meaning: '`resolved`, `partial`, `pending`, `not_found`, `not_a_recording` or `skipped`.', question: 'completeness' },
  'enrichment.resolved_at': { meaning: 'When enrichment resolved the Genesys fields.', question: 'completeness' },
  'enrichment.reason': { meaning: 'Why not fully resolved (`keys_only`, `rate_limited`, `anonymous`, `client_error`, ...).', question: 'completeness' },
  ...LINK_FIELD_DOCS,
};

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeCell(leaf: MappingLeaf, byPath: ReadonlyMap<string, MappingLeaf>): string {
  if (leaf.aliasOf !== undefined) {
    const target = byPath.get(leaf.aliasOf);
    // The alias behaves as its target: say so where a query or aggregation on it would fail. Only a
    // subfield is not a leaf of its own.
    const note = target === undefined ? ', text: match queries only, not aggregatable' : target.docValues === false ? ', not aggregatable' : '';
    return `alias of \`${leaf.aliasOf}\`${note}`;
  }
  const parts = [leaf.type];
  for (const [sub, type] of leaf.subfields) parts.push(`\`.${sub}\` ${type}`);
  if (leaf.nested) parts.push('nested');
  // Without an index but with doc values a field still answers term and range queries, by a scan.
  if (leaf.index === false && leaf.docValues === false) parts.push(leaf.subfields.length > 0 ? 'not searchable (its subfield is)' : 'not searchable');
  else if (leaf.index === false) parts.push('not indexed (searched slowly, through doc values)');
  if (leaf.docValues === false) parts.push('not aggregatable');
  return parts.join(', ');
}

/** The generated field table of docs/event-schema.md. */
export function fieldReference(
  mappings: { properties: Record<string, unknown> } = INDEX_MAPPINGS,
  docs: Readonly<Record<string, FieldDoc>> = FIELD_DOCS,
): string {
  const out = ['| Field | Type | Meaning | Question |', '|---|---|---|---|'];
  const leaves = mappingLeafDetails(mappings);
  const byPath = new Map(leaves.map((l) => [l.path, l]));
  for (const leaf of leaves) {
    const doc = docs[leaf.path];
    if (doc === undefined) throw new Error(`no FIELD_DOCS entry for mapping field ${leaf.path}`);
    out.push(`| \`${leaf.path}\` | ${cell(typeCell(leaf, byPath))} | ${cell(doc.meaning)} | ${doc.question} |`);
  }
  return out.join('\n');
}

export const FIELDS_BEGIN = '<!-- field-reference:begin (generated by `npm run docs`) -->';
export const FIELDS_END = '<!-- field-reference:end -->';
