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
