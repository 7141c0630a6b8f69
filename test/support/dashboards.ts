// The source of config/dashboards/recording-audit.ndjson: OpenSearch Dashboards saved objects (the
// 7.10-era export format Dashboards 2.x/3.x imports) written from readable definitions, because the
// format nests JSON in strings. `npm run docs` writes the file; a unit test compares it with this.
export const DASHBOARDS_FILE = 'config/dashboards/recording-audit.ndjson';

export const INDEX_PATTERN_ID = 'recording-audit-index-pattern';
/** Matches the monthly indices of the default INDEX_PREFIX (`recording-access-YYYY.MM`), and the demo's. */
export const INDEX_PATTERN_TITLE = 'recording-access*';

/** Values to replace in a parameterised saved search's filter pill. */
export const PLACEHOLDERS = {
  conversation: 'CONVERSATION_ID',
  recording: 'RECORDING_ID',
  principal: 'EMAIL_OR_ARN',
  agent: 'AGENT_USER_ID_OR_NAME',
  // source.ip is an ip field: the placeholder must be an address, so it is the documentation range.
  ip: '192.0.2.0/24',
} as const;

export interface SavedObject {
  type: 'index-pattern' | 'search' | 'visualization' | 'dashboard';
  id: string;
  attributes: Record<string, unknown>;
  references: { name: string; type: string; id: string }[];
  migrationVersion: Record<string, string>;
}

/** A filter pill as Dashboards stores it: its query is the DSL Dashboards sends. */
export interface StoredFilter {
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
  $state: { store: 'appState' };
}

export interface SavedSearchDef {
  form: 'conversation' | 'recording' | 'principal' | 'agent' | 'ip' | 'denied' | 'deletions' | 'presigned';
  title: string;
  description: string;
  /** Lucene query string (Dashboards runs it as a query_string query). */
  query: string;
  filters: StoredFilter[];
}

const ACCESSES = 'event.kind:event';
const WRITES = ['REST.PUT.OBJECT', 'REST.POST.OBJECT', 'REST.COPY.OBJECT', 'REST.POST.UPLOADS', 'REST.PUT.PART', 'REST.COPY.PART', 'REST.POST.UPLOAD'];
/** What `recording-audit query` leaves out by default: the product's own reads and services' routine writes. */
const NOT_ROUTINE = `NOT event.self:true AND NOT (actor.kind:service AND event.action:(${WRITES.map((w) => `"${w}"`).join(' OR ')}))`;
export const DELETE_ACTIONS = ['REST.DELETE.OBJECT', 'REST.POST.MULTI_OBJECT_DELETE', 'BATCH.DELETE.OBJECT', 'S3.EXPIRE.OBJECT', 'S3.CREATE.DELETEMARKER'];
const COLUMNS = [
  'actor.email',
  'actor.kind',
  'aws.s3access.requester',
  // Discover shows columns from _source, where the raw names are (event.action and client.ip are
  // aliases of these, for queries).
  'aws.s3access.operation',
  'event.outcome',
  'aws.s3access.remote_ip',
  'genesys.conversation.id',
  'genesys.recording.id',
  'aws.s3.object.key',
];
const REF_INDEX = 'kibanaSavedObjectMeta.searchSourceJSON.index';
const filterRef = (i: number): string => `kibanaSavedObjectMeta.searchSourceJSON.filter[${i}].meta.index`;
const MIGRATION = { 'index-pattern': '7.6.0', search: '7.9.3', visualization: '7.10.0', dashboard: '7.9.3' } as const;

function phraseFilter(i: number, field: string, value: string): StoredFilter {
  return {
    meta: { alias: null, negate: false, disabled: false, type: 'phrase', key: field, params: { query: value }, indexRefName: filterRef(i) },
    query: { match_phrase: { [field]: value } },
    $state: { store: 'appState' },
  };
}

function customFilter(i: number, alias: string, query: Record<string, unknown>): StoredFilter {
  return {
    meta: { alias, negate: false, disabled: false, type: 'custom', key: 'query', value: JSON.stringify(query), indexRefName: filterRef(i) },
    query,
    $state: { store: 'appState' },
  };
}

export const SAVED_SEARCHES: readonly SavedSearchDef[] = [
  {
    form: 'conversation',
    title: 'Recording audit: one conversation',
    description: `Every access to one conversation's recordings, without recording-audit's own reads and services' routine writes. Edit the filter's value ${PLACEHOLDERS.conversation}.`,
    query: `${ACCESSES} AND ${NOT_ROUTINE}`,
    filters: [phraseFilter(0, 'genesys.conversation.id', PLACEHOLDERS.conversation)],
  },
  {
    form: 'recording',
    title: 'Recording audit: one recording',
    description: `Every access to one recording (media and sidecar), without routine reads and writes. Edit the filter's value ${PLACEHOLDERS.recording}.`,
    query: `${ACCESSES} AND ${NOT_ROUTINE}`,
    filters: [phraseFilter(0, 'genesys.recording.id', PLACEHOLDERS.recording)],
  },
  {
    form: 'principal',
    title: 'Recording audit: one principal',
    description: `Everything one principal did. Edit the filter's value ${PLACEHOLDERS.principal} to an email address, or its field to aws.s3access.requester for an ARN.`,
    query: ACCESSES,
    filters: [phraseFilter(0, 'actor.email', PLACEHOLDERS.principal)],
  },
  {
    form: 'agent',
    title: 'Recording audit: recordings of one agent',
    description: `Accesses to recordings in which one Genesys user took part. Edit the filter (as Query DSL): replace ${PLACEHOLDERS.agent} by the user id and the name (any case).`,
    query: `${ACCESSES} AND ${NOT_ROUTINE}`,
    filters: [
      customFilter(0, `agent: ${PLACEHOLDERS.agent}`, {
        nested: {
          path: 'genesys.participants',
          query: {
            bool: {
              should: [
                { term: { 'genesys.participants.user_id': PLACEHOLDERS.agent } },
                { match: { 'genesys.participants.name.text': { query: PLACEHOLDERS.agent, operator: 'and' } } },
              ],
              minimum_should_match: 1,
            },
          },
        },
      }),
    ],
  },
  {
    form: 'ip',
    title: 'Recording audit: one address or network',
    description: `Accesses from one IP address or CIDR block, without routine reads and writes. Edit the filter's value ${PLACEHOLDERS.ip}.`,
    query: `${ACCESSES} AND ${NOT_ROUTINE}`,
    filters: [phraseFilter(0, 'source.ip', PLACEHOLDERS.ip)],
  },
  {
    form: 'denied',
    title: 'Recording audit: denied requests',
    description: 'Requests S3 refused for lack of permission (401, 403, AccessDenied).',
    query: `${ACCESSES} AND (aws.s3access.http_status:(401 OR 403) OR aws.s3access.error_code:AccessDenied)`,
    filters: [],
  },
  {
    form: 'deletions',
    title: 'Recording audit: deletions',
    description: 'Deletions of objects: single and multi-object deletes, and lifecycle expirations.',
    query: `${ACCESSES} AND event.action:(${DELETE_ACTIONS.map((a) => `"${a}"`).join(' OR ')})`,
    filters: [],
  },
  {
    form: 'presigned',
    title: 'Recording audit: presigned URL use',
    description: 'Requests authenticated in the query string (presigned URLs), with their signing time and expiry.',
    query: `${ACCESSES} AND aws.s3access.authentication_type:QueryString`,
    filters: [],
  },
];

export interface VisAgg {
  id: string;
  type: 'count' | 'cardinality' | 'max' | 'terms' | 'date_histogram';
  schema: 'metric' | 'segment' | 'group' | 'bucket' | 'split';
  params: Record<string, unknown>;
}

export interface VisualizationDef {
  id: string;
  title: string;
  description: string;
  /** Lucene query string. */
  query: string;
  visType: 'histogram' | 'table';
  aggs: VisAgg[];
}

const terms = (id: string, schema: VisAgg['schema'], field: string, size: number, label: string, missing?: string): VisAgg => ({
  id,
  type: 'terms',
  schema,
  params: {
    field,
    size,
    order: 'desc',
    orderBy: '1',
    otherBucket: false,
    otherBucketLabel: 'Other',
    missingBucket: missing !== undefined,
    missingBucketLabel: missing ?? 'Missing',
    customLabel: label,
  },
});
const count = (label: string): VisAgg => ({ id: '1', type: 'count', schema: 'metric', params: { customLabel: label } });

export const VISUALIZATIONS: readonly VisualizationDef[] = [
  {
    id: 'recording-audit-vis-accesses-by-kind',
    title: 'Recording audit: accesses over time by actor kind',
    description: 'Access events per interval, stacked by actor.kind (human, service, self, anonymous, unknown).',
    query: ACCESSES,
    visType: 'histogram',
    aggs: [
      count('Accesses'),
      {
        id: '2',
        type: 'date_histogram',
        schema: 'segment',
        params: { field: '@timestamp', interval: 'auto', min_doc_count: 1, extended_bounds: {}, customLabel: 'Time' },
      },
      terms('3', 'group', 'actor.kind', 6, 'Actor kind'),
    ],
  },
  {
    id: 'recording-audit-vis-top-humans',
    title: 'Recording audit: top human actors',
    description:
      'People (actor.kind human) by requests: the email their session is named by, the role they assumed, and how many distinct recordings they touched.',
    query: `${ACCESSES} AND actor.kind:human`,
    visType: 'table',
    aggs: [
      count('Requests'),
      { id: '2', type: 'cardinality', schema: 'metric', params: { field: 'genesys.recording.id', customLabel: 'Recordings' } },
      terms('3', 'bucket', 'actor.email', 20, 'Email (session name)', '(no email session)'),
      terms('4', 'bucket', 'aws.principal.role_name', 3, 'Role (permission set)', '(IAM user)'),
    ],
  },
  {
    id: 'recording-audit-vis-denied',
    title: 'Recording audit: denied by principal and IP',
    description: 'Requests refused for lack of permission, by requester ARN and source address.',
    query: SAVED_SEARCHES.find((s) => s.form === 'denied')!.query,
    visType: 'table',
    aggs: [count('Denied'), terms('2', 'bucket', 'aws.s3access.requester', 20, 'Requester'), terms('3', 'bucket', 'source.ip', 10, 'Source IP')],
  },
  {
    id: 'recording-audit-vis-presigned',
    title: 'Recording audit: presigned URL use',
    description: 'Presigned URL requests by signing principal and the address that used them, with the longest validity asked for.',
    query: SAVED_SEARCHES.find((s) => s.form === 'presigned')!.query,
    visType: 'table',
    aggs: [
      count('Requests'),
      { id: '2', type: 'max', schema: 'metric', params: { field: 'aws.s3.presigned.expires_in_secs', customLabel: 'Longest validity (s)' } },
      terms('3', 'bucket', 'aws.s3access.requester', 20, 'Signed by'),
      terms('4', 'bucket', 'source.ip', 10, 'Used from'),
    ],
  },
];

export const DASHBOARD_ID = 'recording-audit-dashboard';

const searchId = (form: SavedSearchDef['form']): string => `recording-audit-search-${form}`;

function searchSource(query: string, filters: StoredFilter[]): string {
  return JSON.stringify({ query: { query, language: 'lucene' }, filter: filters, highlightAll: true, version: true, indexRefName: REF_INDEX });
}

function visParams(v: VisualizationDef): Record<string, unknown> {
  if (v.visType === 'table')
    return {
      perPage: 10,
      showPartialRows: false,
      showMetricsAtAllLevels: false,
      showTotal: false,
      totalFunc: 'sum',
      percentageCol: '',
      sort: { columnIndex: null, direction: null },
    };
  return {
    type: 'histogram',
    grid: { categoryLines: false },
    categoryAxes: [
      {
        id: 'CategoryAxis-1',
        type: 'category',
        position: 'bottom',
        show: true,
        style: {},
        scale: { type: 'linear' },
        labels: { show: true, filter: true, truncate: 100 },
        title: {},
      },
    ],
    valueAxes: [
      {
        id: 'ValueAxis-1',
        name: 'LeftAxis-1',
        type: 'value',
        position: 'left',
        show: true,
        style: {},
        scale: { type: 'linear', mode: 'normal' },
        labels: { show: true, rotate: 0, filter: false, truncate: 100 },
        title: { text: 'Accesses' },
      },
    ],
    seriesParams: [
      {
        show: true,
        type: 'histogram',
        mode: 'stacked',
        data: { label: 'Accesses', id: '1' },
        valueAxis: 'ValueAxis-1',
        drawLinesBetweenPoints: true,
        showCircles: true,
      },
    ],
    addTooltip: true,
    addLegend: true,
    legendPosition: 'right',
    times: [],
    addTimeMarker: false,
    labels: { show: false },
  };
}

/** Every saved object, in an order Dashboards imports (what is referenced comes first). */
export function dashboardObjects(): SavedObject[] {
  const pattern: SavedObject = {
    type: 'index-pattern',
    id: INDEX_PATTERN_ID,
    attributes: { title: INDEX_PATTERN_TITLE, timeFieldName: '@timestamp' },
    references: [],
    migrationVersion: { 'index-pattern': MIGRATION['index-pattern'] },
  };
  const indexRef = { name: REF_INDEX, type: 'index-pattern', id: INDEX_PATTERN_ID };
  const searches: SavedObject[] = SAVED_SEARCHES.map((s) => ({
    type: 'search',
    id: searchId(s.form),
    attributes: {
      title: s.title,
      description: s.description,
      hits: 0,
      columns: COLUMNS,
      sort: [['@timestamp', 'desc']],
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query, s.filters) },
    },
    references: [indexRef, ...s.filters.map((_, i) => ({ name: filterRef(i), type: 'index-pattern', id: INDEX_PATTERN_ID }))],
    migrationVersion: { search: MIGRATION.search },
  }));
  const visualizations: SavedObject[] = VISUALIZATIONS.map((v) => ({
    type: 'visualization',
    id: v.id,
    attributes: {
      title: v.title,
      description: v.description,
      visState: JSON.stringify({ title: v.title, type: v.visType, params: visParams(v), aggs: v.aggs.map((a) => ({ ...a, enabled: true })) }),
      uiStateJSON: '{}',
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: v.query, language: 'lucene' }, filter: [], indexRefName: REF_INDEX }) },
    },
    references: [indexRef],
    migrationVersion: { visualization: MIGRATION.visualization },
  }));
  const panels: { ref: { type: string; id: string }; w: number; h: number }[] = [
    ...VISUALIZATIONS.map((v, i) => ({ ref: { type: 'visualization', id: v.id }, w: i === 0 ? 48 : 24, h: 15 })),
    ...(['denied', 'deletions', 'presigned'] as const).map((form) => ({ ref: { type: 'search', id: searchId(form) }, w: 48, h: 15 })),
  ];
  let x = 0;
  let y = 0;
  const panelsJSON = panels.map((p, i) => {
    if (x + p.w > 48) {
      x = 0;
      y += 15;
    }
    const gridData = { x, y, w: p.w, h: p.h, i: String(i + 1) };
    x += p.w;
    return { version: '7.10.2', gridData, panelIndex: String(i + 1), embeddableConfig: {}, panelRefName: `panel_${i}` };
  });
  const dashboard: SavedObject = {
    type: 'dashboard',
    id: DASHBOARD_ID,
    attributes: {
      title: 'Recording audit',
      description:
        'Who read, downloaded, changed or was refused call recordings: accesses by actor kind, the people reading most, denied requests, deletions and presigned URL use.',
      hits: 0,
      panelsJSON: JSON.stringify(panelsJSON),
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      // The time picker's range applies: an investigation picks its own period.
      timeRestore: false,
      version: 1,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }) },
    },
    references: panels.map((p, i) => ({ name: `panel_${i}`, type: p.ref.type, id: p.ref.id })),
    migrationVersion: { dashboard: MIGRATION.dashboard },
  };
  return [pattern, ...searches, ...visualizations, dashboard];
}

/** The file's text: one object per line. */
export function dashboardsNdjson(): string {
  return `${dashboardObjects()
    .map((o) => JSON.stringify(o))
    .join('\n')}\n`;
}
