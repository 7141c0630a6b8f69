import platformClient from 'purecloud-platform-client-v2';

/**
 * The only importer of the Genesys SDK. It owns one private ApiClient and turns every call into
 * a plain `{status, headers, body}` (bodies still unparsed: client.ts parses them) or a thrown
 * TransportError when no HTTP response came back. Retries and rate limits live in
 * request-loop.ts, token renewal in token.ts; the SDK v262 has none of them for client credentials.
 */

export interface RawResponse {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** No HTTP response: connection refused/reset, DNS, timeout. */
export class TransportError extends Error {
  readonly kind: 'network' | 'timeout';
  readonly code: string | undefined;
  constructor(kind: 'network' | 'timeout', message: string, code?: string) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
    this.code = code;
  }
}

/** QMAuditQueryRequest / AuditQueryRequest: `interval` is `start/end` (ISO-8601). */
export interface AuditQueryBody {
  readonly interval: string;
  readonly serviceName?: string;
  readonly filters: readonly { readonly property: string; readonly value: string }[];
  readonly sort?: readonly { readonly name: string; readonly sortOrder: string }[];
}

export interface AuditResultsParams {
  readonly cursor?: string;
  readonly pageSize: number;
  readonly expand?: readonly string[];
}

export type LoginResult = { readonly ok: true; readonly expiresAtMs: number } | { readonly ok: false; readonly response: RawResponse };

export interface SdkOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Region domain, e.g. mypurecloud.com. */
  readonly environment: string;
  /** A gateway or the simulator: login and API calls go to this base URL instead. */
  readonly apiUrl?: string;
  readonly timeoutMs: number;
}

export interface GenesysTransport {
  login(): Promise<LoginResult>;
  conversationDetails(ids: readonly string[]): Promise<RawResponse>;
  users(ids: readonly string[], pageSize: number, pageNumber: number): Promise<RawResponse>;
  recordingMetadata(conversationId: string): Promise<RawResponse>;
  retentionQuery(cursor: string | undefined, pageSize: number): Promise<RawResponse>;
  tokenInfo(): Promise<RawResponse>;
  postQualityConversationsAuditsQuery(body: AuditQueryBody): Promise<RawResponse>;
  getQualityConversationsAuditsQueryTransactionId(transactionId: string): Promise<RawResponse>;
  getQualityConversationsAuditsQueryTransactionIdResults(transactionId: string, params: AuditResultsParams): Promise<RawResponse>;
  postAuditsQuery(body: AuditQueryBody): Promise<RawResponse>;
  getAuditsQueryTransactionId(transactionId: string): Promise<RawResponse>;
  getAuditsQueryTransactionIdResults(transactionId: string, params: AuditResultsParams): Promise<RawResponse>;
  getAuditsQueryServicemapping(): Promise<RawResponse>;
  /** POST /api/v2/users/search: users whose email is one of `emails` (EXACT, case-insensitive). */
  usersSearch(emails: readonly string[], pageSize: number, pageNumber: number): Promise<RawResponse>;
}

let singletonTamed = false;

/**
 * Importing the SDK creates a process-wide ApiClient whose Configuration reads and watches
 * ~/.genesyscloudjavascript/config; a file there could redirect calls. We never use that
 * instance, and stop its watcher once.
 */
function tameSingleton(): void {
  if (singletonTamed) return;
  singletonTamed = true;
  const pc = platformClient as any;
  pc.ApiClient?.config?.setConfigPath?.('');
}

export function createSdkTransport(options: SdkOptions): GenesysTransport {
  tameSingleton();
  const pc = platformClient as any;
  // Our own instance: the singleton's token, gateway and settings are shared process-wide.
  const client = new pc.ApiClientClass();
  // The constructor has read the config file already; stop watching it before anything else so
  // our settings below are the last word.
  client.config.setConfigPath('');
  client.config.live_reload_config = false;
  // Undo whatever that file may have set: its gateway, and SDK logging that could print
  // request headers (the bearer token) to the console or a file.
  const sdkLogger = client.config.logger;
  sdkLogger.log_level = 'none';
  sdkLogger.log_to_console = false;
  sdkLogger.log_file_path = undefined;
  sdkLogger.log_request_body = false;
  sdkLogger.log_response_body = false;
  sdkLogger.setLogger();
  client.setGateway(undefined);
  client.setEnvironment(options.environment);
  if (options.apiUrl !== undefined) {
    const url = new URL(options.apiUrl);
    const path = url.pathname.replace(/\/+$/, '');
    client.setGateway({
      host: url.hostname,
      protocol: url.protocol.replace(/:$/, ''),
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      path_params_login: path,
      path_params_api: path,
    });
  }
  // Without extended responses a rejected call yields the body only: no status, no Retry-After.
  client.setReturnExtendedResponses(true);
  client.timeout = options.timeoutMs;
  client.getHttpClient().setTimeout(options.timeoutMs);

  const analytics = new pc.AnalyticsApi(client);
  const usersApi = new pc.UsersApi(client);
  const recording = new pc.RecordingApi(client);
  const tokens = new pc.TokensApi(client);
  const quality = new pc.QualityApi(client);
  const audit = new pc.AuditApi(client);

  return {
    async login() {
      try {
        const auth = await client.loginClientCredentialsGrant(options.clientId, options.clientSecret);
        return { ok: true, expiresAtMs: Number(auth.tokenExpiryTime) };
      } catch (err: any) {
        if (err?.response) {
          return { ok: false, response: { status: Number(err.response.status), headers: plainHeaders(err.response.headers), body: err.response.data } };
        }
        throw transportError(err);
      }
    },
    conversationDetails: (ids) => call(() => analytics.getAnalyticsConversationsDetails({ id: [...ids] })),
    users: (ids, pageSize, pageNumber) => call(() => usersApi.getUsers({ id: [...ids], pageSize, pageNumber, state: 'any' })),
    recordingMetadata: (conversationId) => call(() => recording.getConversationRecordingmetadata(conversationId)),
    // retentionThresholdDays 0: every recording, whatever its remaining retention.
    retentionQuery: (cursor, pageSize) => call(() => recording.getRecordingsRetentionQuery(0, { pageSize, ...(cursor !== undefined ? { cursor } : {}) })),
    tokenInfo: () => call(() => tokens.getTokensMe()),
    postQualityConversationsAuditsQuery: (body) => call(() => quality.postQualityConversationsAuditsQuery(auditBody(body))),
    getQualityConversationsAuditsQueryTransactionId: (id) => call(() => quality.getQualityConversationsAuditsQueryTransactionId(id)),
    getQualityConversationsAuditsQueryTransactionIdResults: (id, params) =>
      call(() => quality.getQualityConversationsAuditsQueryTransactionIdResults(id, resultsOpts(params))),
    postAuditsQuery: (body) => call(() => audit.postAuditsQuery(auditBody(body))),
    getAuditsQueryTransactionId: (id) => call(() => audit.getAuditsQueryTransactionId(id)),
    getAuditsQueryTransactionIdResults: (id, params) => call(() => audit.getAuditsQueryTransactionIdResults(id, resultsOpts(params))),
    getAuditsQueryServicemapping: () => call(() => audit.getAuditsQueryServicemapping()),
    usersSearch: (emails, pageSize, pageNumber) =>
      call(() =>
        usersApi.postUsersSearch({
          query: [{ type: 'EXACT', fields: ['email'], values: [...emails] }],
          pageSize,
          pageNumber,
          expand: ['division'],
        }),
      ),
  };
}

/** Plain mutable copies: the SDK serialises what it is given. */
function auditBody(body: AuditQueryBody): any {
  return {
    interval: body.interval,
    ...(body.serviceName !== undefined ? { serviceName: body.serviceName } : {}),
    filters: body.filters.map((f) => ({ property: f.property, value: f.value })),
    ...(body.sort !== undefined ? { sort: body.sort.map((s) => ({ name: s.name, sortOrder: s.sortOrder })) } : {}),
  };
}

function resultsOpts(params: AuditResultsParams): any {
  return {
    pageSize: params.pageSize,
    ...(params.cursor !== undefined ? { cursor: params.cursor } : {}),
    ...(params.expand !== undefined && params.expand.length > 0 ? { expand: [...params.expand] } : {}),
  };
}

async function call(fn: () => Promise<any>): Promise<RawResponse> {
  let out: any;
  try {
    out = await fn();
  } catch (err: any) {
    // Extended responses reject with {status, headers, body, error}; anything else had no response.
    if (err !== null && typeof err === 'object' && typeof err.status === 'number' && 'body' in err) {
      return { status: err.status, headers: plainHeaders(err.headers), body: err.body };
    }
    throw transportError(err);
  }
  return { status: Number(out?.status ?? 200), headers: plainHeaders(out?.headers), body: out?.body };
}

function plainHeaders(headers: any): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === null || typeof headers !== 'object') return out;
  const source = typeof headers.toJSON === 'function' ? headers.toJSON() : headers;
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function transportError(err: any): TransportError {
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(err);
  const timeout = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
  return new TransportError(timeout ? 'timeout' : 'network', message, code);
}
