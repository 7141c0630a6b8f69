import {
  alias,
  bool,
  date,
  ipField,
  keyword,
  keywordNoDv,
  keywordText,
  linkProps,
  long,
  longNoIndex,
  dateNoIndex,
  longStored,
  personName,
  props,
  stored,
} from './field-types.js';

/**
 * The OpenSearch `mappings` of the access-event indices (used by the index template): schema v2.
 *
 * `dynamic: 'strict'`: a document with a field this mapping does not name is refused (400
 * strict_dynamic_mapping_exception) instead of growing the mapping. For an audit trail that is the
 * safe failure: a schema drift between code and index shows up at once, as a quarantined document
 * and an alert, rather than as silently unindexed (`dynamic: false`) or auto-typed fields that a
 * later document cannot match. Unknown trailing log fields are not a drift: they live in the
 * `aws.s3access.unknown_fields` keyword array.
 *
 * Names. The raw S3 fields are stored once, under `aws.s3access.*`: the record of what S3 wrote.
 * Elastic's `aws_s3access` integration also writes ECS copies of them (client.ip, client.user.id,
 * event.id, event.code, event.action, http.request.referrer, url.domain, user_agent.original, ...);
 * here those names are `alias` fields pointing at the raw field. A query, aggregation or sort on
 * `client.ip` works as in Elastic, so detections written for it carry over, and the value is
 * stored and indexed once. Aliases are not in `_source` (a search's `_source` shows the raw name).
 * Only values that differ from any raw value are stored under ECS names (event.duration in
 * nanoseconds, url.extension, http.request.method, tls.version, cloud.region, the decoded key).
 *
 * Size (six years of evidence; `npm run bench -- size`): `index.codec: best_compression` (DEFLATE
 * instead of LZ4 for `_source` and stored fields), chosen by measurement; 2.19 and 3.x bare nodes
 * offer `default`/`lz4`, `best_compression`/`zlib` (zstd is a plugin). Fields no query filters on
 * are `index: false`, fields nothing aggregates or sorts on are `doc_values: false`; each says why.
 * New indices are sorted by object key and time where the cluster can (INDEX_SORT). The levers
 * measured and not taken, and what the byte targets would take: docs/operations/setup.md "Index size".
 *
 * Types: the bare distribution's (keyword, ip, date, long, boolean, object, nested, alias,
 * match_only_text). Keywords that hold log-derived text ignore values above 8191 characters: the
 * value stays in `_source` but is not indexed, where without the limit Lucene's 32766-byte term cap
 * would refuse the whole document (8191 x 4 UTF-8 bytes fits under it).
 *
 * `genesys.participants` is `nested`: each participant is its own hidden Lucene document, so a
 * `nested` query on `user_id` AND `name` (or `purpose`) matches only when both belong to the same
 * participant, and a `nested` aggregation counts names per participant. As a plain object array
 * the fields were flattened into unrelated arrays: a user id with another participant's name
 * matched, and a terms aggregation gave agents several names. The cost is one hidden document per
 * participant (a handful per conversation). Queries on participants must be `nested` queries.
 * This mapping cannot be put on an index of revision 3 or earlier (object to nested, aliases over
 * stored fields): `setup` leaves such indices as they are, and their months are rebuilt by replay
 * into a new prefix (docs/operations/setup.md, "Rebuilding older months").
 *
 * Names: `genesys.participants.name` is exact (aggregations show it as Genesys spells it);
 * `.lower` is lowercased by the `lower` normalizer (INDEX_ANALYSIS, installed with the template);
 * `.text` is `text` for one word of a name; `name_folded` is the name lowercased without accents,
 * folded by the product (src/event/names.ts), so `term name_folded: "jose lopez"` finds
 * "José López". Folding is not left to an `asciifolding` normalizer because that filter is in the
 * `analysis-common` module, which the bare 2.x distribution lacks: the template would not install.
 * No normalizer applies to `actor.email` or the ARNs: those are AWS identifiers whose
 * case is part of the value (IAM role and session names are case-preserving), and a `term` query
 * with `case_insensitive: true` serves the rare case-blind search without a second indexed copy.
 *
 * `aws.s3access.user_agent.text` and `aws.s3access.referrer.text` are `match_only_text`
 * (standard analyzer, no positions or frequencies stored: phrase queries are checked against
 * `_source`): a case-insensitive search for a fragment (`match_phrase` "aws-sdk-java", "boto3")
 * finds them, which the exact keyword cannot, at a fraction of `text`'s index size.
 */

/**
 * Goes up by one with every change to INDEX_MAPPINGS (a test pins the mapping's digest to it). The
 * index template carries it, and a worker never replaces a template of a later revision.
 */
export const MAPPING_REVISION = 7;

/**
 * The index `analysis` settings the mapping's normalizer needs (the template installs them with
 * the mapping; an index without them refuses the mapping).
 */
export const INDEX_ANALYSIS = {
  normalizer: { lower: { type: 'custom', filter: ['lowercase'] } },
} as const;

/** `index.codec` of the monthly indices: DEFLATE for stored fields, measured by `npm run bench -- size`. */
export const INDEX_CODEC = 'best_compression';

/**
 * `index.sort` of new monthly access indices (revision 6): by object key, then time. The reads,
 * copies and deletes of one recording, and of its conversation's other files (the key starts with
 * the conversation's path), then lie side by side, with the same key, request line and Genesys
 * enrichment, where best_compression's DEFLATE (a 32 KB window) finds the repeats; in arrival
 * order they are far apart. Measured (`npm run bench -- size --levers`): 11% (20k events) to 16%
 * (100k) fewer bytes on disk, stored fields a quarter smaller; the indexing cost is in
 * docs/operations/setup.md "Index size". Only OpenSearch 3.2 and later sort an index with
 * `nested` fields (2.x refuses to create it), and only a new index is sorted: `setup` adds this to
 * the template when the cluster is 3.2 or later, and months created before keep their order.
 */
export const INDEX_SORT = { field: ['aws.s3.object.key', '@timestamp'], order: ['asc', 'asc'] } as const;

const RAW = 'aws.s3access';

export const INDEX_MAPPINGS = {
  dynamic: 'strict',
  date_detection: false,
  _meta: { schema: 'recording-audit access event v2' },
  properties: {
    '@timestamp': date,
    event: props({
      kind: keyword,
      dataset: keyword,
      module: keyword,
      outcome: keyword,
      category: keyword,
      type: keyword,
      // Not searched by value: the document id is sha256("<log bucket>\n<hash>") (in its month's
      // form, src/event/document-id.ts), so a line's
      // document is found by its id (an ids query), which costs nothing extra. Indexing 64 random
      // hex characters per event cost 66 bytes of the ~860 on disk.
      hash: stored,
      redacted: bool,
      invalid_utf8: bool,
      // Revision 7: doc values only (NEW_MONTHS_ONLY): nothing filters on these but verify (the
      // version) and lag checks (ingested), and event.duration is filtered, if ever, beside others.
      parser_version: longNoIndex,
      self: bool,
      ingested: dateNoIndex,
      duration: longNoIndex,
      // pipeline_error events only: the redacted raw line of a quarantined line.
      original: keywordText,
      // ECS names of raw values.
      action: alias(`${RAW}.operation`),
      id: alias(`${RAW}.request_id`),
      code: alias(`${RAW}.error_code`),
    }),
    ecs: props({ version: keyword }),
    // pipeline_error events only: the quarantine reason, the stage that refused the line, its detail.
    error: props({ code: keyword, type: keyword, message: keyword }),
    cloud: props({ provider: keyword, region: keyword }),
    client: props({ ip: alias(`${RAW}.remote_ip`), address: alias(`${RAW}.remote_ip`), user: props({ id: alias(`${RAW}.requester`) }) }),
    // ECS 1.x names this product wrote before v2; queries written for them keep working.
    source: props({ ip: alias(`${RAW}.remote_ip`), address: alias(`${RAW}.remote_ip`) }),
    user: props({ id: alias(`${RAW}.requester`) }),
    related: props({ ip: alias(`${RAW}.remote_ip`), user: alias(`${RAW}.requester`) }),
    user_agent: props({ original: alias(`${RAW}.user_agent`) }),
    http: props({
      request: props({ method: keyword, referrer: alias(`${RAW}.referrer`) }),
      response: props({ status_code: alias(`${RAW}.http_status`), body: props({ bytes: alias(`${RAW}.bytes_sent`) }) }),
      version: keyword,
    }),
    tls: props({ version: keyword, cipher: alias(`${RAW}.cipher_suite`) }),
    // url.original: S3's request line (method and protocol included), as Elastic's integration maps it.
    url: props({ extension: keyword, domain: alias(`${RAW}.host_header`), original: alias(`${RAW}.request_uri`) }),
    // Who the principal is: kind by configuration (human, service, self, anonymous, unknown), and
    // the email address an assumed-role or federated session is named with.
    // The person (enrichment, src/enrich/person.ts): the Genesys user found by the email or named
    // by ACTOR_DIRECTORY_FILE; name as participants' names are (exact, .lower, .text, name_folded).
    actor: props({
      kind: keyword,
      email: keyword,
      genesys_user_id: keyword,
      name: personName,
      name_folded: keyword,
      division: props({ id: keyword, name: keyword }),
      department: keyword,
    }),
    aws: props({
      s3access: props({
        // Constant per bucket; filtered on, not aggregated.
        bucket_owner: keywordNoDv,
        bucket: keyword,
        remote_ip: ipField,
        requester: keyword,
        // Looked up by value (an AWS support case, CloudTrail), never aggregated.
        request_id: keywordNoDv,
        operation: keyword,
        // The decoded aws.s3.object.key is what queries use; the encoded form is kept as written.
        key: stored,
        // A keyword, as url.original (its alias) is in Elastic's integration: exact, prefix and
        // wildcard queries (case_insensitive if asked) over the whole request line. Measured: the
        // `wildcard` type cost 170 bytes per event more on disk.
        request_uri: keywordNoDv,
        http_status: long,
        error_code: keyword,
        // Summed per requester (volume); a size filter runs on the doc values (revision 7).
        bytes_sent: longNoIndex,
        object_size: longNoIndex,
        // event.duration (nanoseconds) is the field to filter and aggregate on.
        total_time: longStored,
        turn_around_time: longNoIndex,
        referrer: { ...keywordText, doc_values: false },
        user_agent: keywordText,
        version_id: keywordNoDv,
        // S3's internal trace id: only AWS support reads it, found through request_id.
        host_id: stored,
        // Filtered on (an old signature version, a TLS downgrade, an access point), rarely
        // aggregated: no column store.
        signature_version: keywordNoDv,
        // Aggregated through their ECS aliases (tls.cipher, url.domain) by Elastic's dashboards.
        cipher_suite: keyword,
        authentication_type: keyword,
        host_header: keyword,
        tls_version: keywordNoDv,
        access_point_arn: keywordNoDv,
        acl_required: keywordNoDv,
        source_region: keywordNoDv,
        unknown_fields: keywordNoDv,
        field_count: longStored,
      }),
      // The Requester in CloudTrail's userIdentity vocabulary.
      // session_name: filtered on (a person's session), not aggregated: no column store (revision 7).
      principal: props({ type: keyword, account_id: keyword, role_name: keyword, session_name: keywordNoDv }),
      s3: props({
        bucket: props({ name: alias(`${RAW}.bucket`) }),
        // key: the Key field URL-decoded. version_id: a DELETE's versionId parameter (a permanent version delete).
        // key: filtered on and aggregated (the deletion rule groups by object).
        object: props({ key: keyword, key_decode_failed: bool, version_id: keyword }),
        // A request signed in the query string: the signer's access key id (not a secret), when
        // it was signed and until when it is valid. Never the signature or the token.
        presigned: props({ access_key_id: keyword, signed_at: date, expires_at: date, expires_in_secs: long }),
      }),
    }),
    // offset: sorted on (verify reads a log object in line order) and looked up beside its file path.
    log: props({ file: props({ path: keyword }), offset: longNoIndex }),
    // Revision 7: the organization (one per deployment) and the file kind are filtered, never
    // aggregated; the recording and conversation times are read, and a range on them runs on the
    // doc values.
    genesys: props({
      organization: props({ id: keywordNoDv }),
      conversation: props({ id: keyword, start: dateNoIndex }),
      recording: props({ id: keyword, file: keywordNoDv, media_type: keyword, start: dateNoIndex, end: dateNoIndex, file_state: keyword }),
      // name_folded: lowercase without accents, folded by the product (src/event/names.ts).
      participants: { type: 'nested', ...props({ user_id: keyword, name: personName, name_folded: keyword, purpose: keyword }) },
      agent: props({ user_ids: keyword }),
    }),
    enrichment: props({ status: keyword, resolved_at: dateNoIndex, reason: keyword }),
    // The CloudTrail twin (same request id), added by the linker after the fact: revision 6, add-only.
    link: linkProps,
  },
} as const;

/**
 * Fields whose indexing parameters changed in revision 7: points or doc values off (with the short
 * ids, 576 → 496 B/event on disk at 100k events; docs/operations/setup.md "Index size").
 * OpenSearch refuses to change them on an existing index, so `setup` puts the new mapping on
 * existing monthly indices without them. Those months keep the parameters they were created with;
 * every field stays queryable either way.
 */
export const NEW_MONTHS_ONLY: readonly string[] = [
  'event.parser_version',
  'event.ingested',
  'event.duration',
  'aws.s3access.bytes_sent',
  'aws.principal.session_name',
  'log.offset',
  'genesys.organization.id',
  'genesys.conversation.start',
  'genesys.recording.file',
  'genesys.recording.start',
  'genesys.recording.end',
  'enrichment.resolved_at',
];

/** The correlation fields the linker writes on both families' events (src/sinks/opensearch/link.ts). */
export const LINK_FIELDS: readonly string[] = ['link.sources', 'link.twin_id', 'link.linked_at'];

/** Fields no parsed line produces: the enrichment stage and the sink fill them later. */
export const ENRICHMENT_ONLY_FIELDS: readonly string[] = [
  'event.ingested',
  'actor.genesys_user_id',
  'actor.name',
  'actor.name_folded',
  'actor.division.id',
  'actor.division.name',
  'actor.department',
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
  'genesys.participants.name_folded',
  'genesys.participants.purpose',
  'genesys.agent.user_ids',
  'enrichment.status',
  'enrichment.resolved_at',
  'enrichment.reason',
  ...LINK_FIELDS,
];

/**
 * Every field a stored event may hold that is not the parse of its raw line: what enrichment writes
 * (src/enrich/enricher.ts sets event.self and actor.kind on every event, genesys.*, the person
 * under actor.*, related.user and enrichment.*; reenrich rewrites the same) and what the sink stamps (event.ingested). `verify`
 * compares every other field with a fresh parse of the line; a test enriches a sample event and
 * checks that it changes nothing outside this list.
 */
export const NOT_FROM_THE_LINE_FIELDS: readonly string[] = [...ENRICHMENT_ONLY_FIELDS, 'event.self', 'actor.kind'];

/** The field an alias of the mapping points at (`client.ip` → `aws.s3access.remote_ip`); undefined for other fields. */
export function aliasTarget(field: string, mappings: { properties: Record<string, unknown> } = INDEX_MAPPINGS): string | undefined {
  let node: unknown = mappings;
  for (const part of field.split('.')) node = (node as { properties?: Record<string, unknown> }).properties?.[part];
  const d = node as { type?: string; path?: string } | undefined;
  return d?.type === 'alias' ? d.path : undefined;
}

/** Leaf field paths of the mapping with their types, e.g. `['aws.s3access.http_status', 'long']`. */
export function mappingLeaves(mappings: { properties: Record<string, unknown> } = INDEX_MAPPINGS): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (properties: Record<string, unknown>, prefix: string): void => {
    for (const [name, def] of Object.entries(properties)) {
      const d = def as { type?: string; properties?: Record<string, unknown> };
      // A nested object's leaves are fields like any object's.
      if (d.properties !== undefined) walk(d.properties, `${prefix}${name}.`);
      else out.set(`${prefix}${name}`, d.type ?? 'object');
    }
  };
  walk(mappings.properties, '');
  return out;
}
