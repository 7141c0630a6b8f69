/**
 * The OpenSearch `mappings` of the access-event indices (used by the index template).
 *
 * `dynamic: 'strict'`: a document with a field this mapping does not name is refused (400
 * strict_dynamic_mapping_exception) instead of growing the mapping. For an audit trail that is the
 * safe failure: a schema drift between code and index shows up at once, as a quarantined document
 * and an alert, rather than as silently unindexed (`dynamic: false`) or auto-typed fields that a
 * later document cannot match. Unknown trailing log fields are not a drift: they live in the
 * `aws.s3access.unknown_fields` keyword array.
 *
 * Types: the bare OpenSearch distribution's (keyword, ip, date, long, boolean, object, nested,
 * text). Keywords that hold log-derived text ignore values above 8191 characters: the value stays in
 * `_source` but is not indexed, where without the limit Lucene's 32766-byte term cap would refuse
 * the whole document (8191 × 4 UTF-8 bytes fits under it).
 *
 * `genesys.participants` is `nested`: each participant is its own hidden Lucene document, so a
 * `nested` query on `user_id` AND `name` (or `purpose`) matches only when both belong to the same
 * participant, and a `nested` aggregation counts names per participant. As a plain object array
 * the fields were flattened into unrelated arrays: a user id with another participant's name
 * matched, and a terms aggregation gave agents several names. The cost is one hidden document per
 * participant (a handful per conversation). Queries on participants must be `nested` queries.
 * Revision 4 cannot be put on an index of an earlier revision (OpenSearch: "cannot change object
 * mapping from non-nested to nested"; an index without INDEX_ANALYSIS lacks the normalizer), so
 * `setup` refuses while such a monthly index is open: its months are rebuilt into new indices.
 *
 * Case-insensitive names: `genesys.participants.name.lower` is a keyword with the `lowercase_ascii`
 * normalizer (lowercase + asciifolding, defined in INDEX_ANALYSIS, installed with the template),
 * so `term name.lower: "jose lopez"` finds "José López"; `name.text` is `text` for a search on one
 * word of a name. `name` itself stays exact, for aggregations that show the name as Genesys spells
 * it. Genesys user names are stored only there. The normalizer does not apply to `user.name`,
 * `user.id`, `actor.email` or the ARNs: those are AWS identifiers whose case is part of the value
 * (IAM role and session names are case-preserving), and a `term` query with
 * `case_insensitive: true` serves the rare case-blind search without a second indexed copy.
 *
 * `user_agent.original.text` and `url.original.text` are `text` (standard analyzer): a
 * case-insensitive search for a fragment (`match_phrase` "aws-sdk-java", "boto3") finds them,
 * which the exact keyword cannot. The `wildcard` type exists on the 3.x test node, but it is not in
 * every 2.x release this product supports, and a word or phrase match is what these fields need.
 */

const keyword = { type: 'keyword', ignore_above: 8191 } as const;
const long = { type: 'long' } as const;
const date = { type: 'date' } as const;
const bool = { type: 'boolean' } as const;
const ip = { type: 'ip' } as const;
/** A keyword with a `text` subfield, for a case-insensitive search on a word or phrase of it. */
const keywordText = { ...keyword, fields: { text: { type: 'text' } } } as const;
/** A person's name: exact, lowercase-normalized (`.lower`) and word-searchable (`.text`). */
const personName = {
  ...keyword,
  fields: { lower: { type: 'keyword', normalizer: 'lowercase_ascii', ignore_above: 8191 }, text: { type: 'text' } },
} as const;

const props = <T extends Record<string, unknown>>(properties: T): { properties: T } => ({ properties });

/**
 * Goes up by one with every change to INDEX_MAPPINGS (a test pins the mapping's digest to it). The
 * index template carries it, and a worker never replaces a template of a later revision.
 */
export const MAPPING_REVISION = 4;

/**
 * The index `analysis` settings the mapping's normalizer needs (the template installs them with
 * the mapping; an index without them refuses the mapping).
 */
export const INDEX_ANALYSIS = {
  normalizer: { lowercase_ascii: { type: 'custom', filter: ['lowercase', 'asciifolding'] } },
} as const;

export const INDEX_MAPPINGS = {
  dynamic: 'strict',
  date_detection: false,
  _meta: { schema: 'recording-audit access event' },
  properties: {
    '@timestamp': date,
    event: props({
      kind: keyword,
      dataset: keyword,
      action: keyword,
      outcome: keyword,
      category: keyword,
      type: keyword,
      hash: keyword,
      redacted: bool,
      invalid_utf8: bool,
      parser_version: long,
      self: bool,
      ingested: date,
      // pipeline_error events only: the redacted raw line of a quarantined line.
      original: keyword,
    }),
    // pipeline_error events only: the quarantine reason, the stage that refused the line, its detail.
    error: props({ code: keyword, type: keyword, message: keyword }),
    cloud: props({ provider: keyword, region: keyword }),
    source: props({ ip, address: keyword }),
    user_agent: props({ original: keywordText }),
    http: props({
      request: props({ method: keyword }),
      response: props({ status_code: long, body: props({ bytes: long }) }),
      version: keyword,
    }),
    tls: props({ version: keyword, version_protocol: keyword, cipher: keyword }),
    url: props({ original: keywordText, path: keyword, query: keyword }),
    user: props({ id: keyword, name: keyword }),
    // Who the principal is: kind by configuration (human, service, self, anonymous, unknown), and
    // the email address an assumed-role or federated session is named with.
    actor: props({ kind: keyword, email: keyword }),
    related: props({ ip, user: keyword }),
    aws: props({
      s3access: props({
        bucket_owner: keyword,
        bucket: keyword,
        remote_ip: keyword,
        requester: keyword,
        request_id: keyword,
        operation: keyword,
        key: keyword,
        request_uri: keyword,
        http_status: long,
        error_code: keyword,
        bytes_sent: long,
        object_size: long,
        total_time: long,
        turn_around_time: long,
        referrer: keyword,
        user_agent: keyword,
        version_id: keyword,
        host_id: keyword,
        signature_version: keyword,
        cipher_suite: keyword,
        authentication_type: keyword,
        host_header: keyword,
        tls_version: keyword,
        access_point_arn: keyword,
        acl_required: keyword,
        source_region: keyword,
        unknown_fields: keyword,
        field_count: long,
      }),
      // The Requester in CloudTrail's userIdentity vocabulary.
      principal: props({ type: keyword, account_id: keyword, role_name: keyword, session_name: keyword }),
      s3: props({
        bucket: props({ name: keyword, arn: keyword }),
        // version_id: a DELETE's versionId parameter (a permanent version delete).
        object: props({ key: keyword, key_decode_failed: bool, version_id: keyword }),
        // A request signed in the query string: the signer's access key id (not a secret), when
        // it was signed and until when it is valid. Never the signature or the token.
        presigned: props({ access_key_id: keyword, signed_at: date, expires_at: date, expires_in_secs: long }),
      }),
    }),
    log: props({ file: props({ path: keyword }), offset: long }),
    genesys: props({
      organization: props({ id: keyword }),
      conversation: props({ id: keyword, start: date }),
      recording: props({ id: keyword, file: keyword, media_type: keyword, start: date, end: date, file_state: keyword }),
      participants: { type: 'nested', ...props({ user_id: keyword, name: personName, purpose: keyword }) },
      agent: props({ user_ids: keyword }),
    }),
    enrichment: props({ status: keyword, resolved_at: date, reason: keyword }),
  },
} as const;

/** Fields no parsed line produces: the enrichment stage and the sink fill them later. */
export const ENRICHMENT_ONLY_FIELDS: readonly string[] = [
  'event.ingested',
  'genesys.organization.id',
  'genesys.conversation.id',
  'genesys.conversation.start',
  'genesys.recording.id',
  'genesys.recording.file',
  'genesys.recording.media_type',
  'genesys.recording.start',
  'genesys.recording.end',
  'genesys.recording.file_state',
  'genesys.participants.user_id',
  'genesys.participants.name',
  'genesys.participants.purpose',
  'genesys.agent.user_ids',
  'enrichment.status',
  'enrichment.resolved_at',
  'enrichment.reason',
];

/**
 * Every field a stored event may hold that is not the parse of its raw line: what enrichment writes
 * (src/enrich/enricher.ts sets event.self and actor.kind on every event, genesys.*, related.user and
 * enrichment.*; reenrich rewrites the same) and what the sink stamps (event.ingested). `verify`
 * compares every other field with a fresh parse of the line; a test enriches a sample event and
 * checks that it changes nothing outside this list.
 */
export const NOT_FROM_THE_LINE_FIELDS: readonly string[] = [...ENRICHMENT_ONLY_FIELDS, 'event.self', 'actor.kind', 'related.user'];

/** Leaf field paths of the mapping with their types, e.g. `['aws.s3access.http_status', 'long']`. */
export function mappingLeaves(mappings: { properties: Record<string, unknown> } = INDEX_MAPPINGS): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (properties: Record<string, unknown>, prefix: string): void => {
    for (const [name, def] of Object.entries(properties)) {
      const d = def as { type?: string; properties?: Record<string, unknown> };
      if (d.properties !== undefined) walk(d.properties, `${prefix}${name}.`);
      else out.set(`${prefix}${name}`, d.type ?? 'object');
    }
  };
  walk(mappings.properties, '');
  return out;
}
