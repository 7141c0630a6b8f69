import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/schema.js';
import { describeError, isAuditError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../ops/metrics.js';
import type { Endpoint } from './client.js';
import { genesysFromConfig } from './from-config.js';
import type { RawResponse } from './sdk.js';

/**
 * For `check`: does login work, and does each endpoint the worker uses answer with the OAuth
 * client's permissions? Each probe asks for a random id, so a permitted call answers 200 or 404
 * and a missing permission answers 403. Nothing is changed in Genesys.
 */

export interface GenesysProbe {
  readonly name: string;
  readonly ok: boolean;
  /** HTTP status, or undefined when no answer came. */
  readonly status?: number;
  readonly detail: string;
  /** The permission a 403 points at. */
  readonly permission?: string;
}

const PROBES: readonly { name: string; endpoint: Endpoint; permission: string; optional?: boolean }[] = [
  { name: 'conversation details (GET /api/v2/analytics/conversations/details)', endpoint: 'conversation_details', permission: 'analytics:conversationDetail:view' },
  { name: 'users (GET /api/v2/users?state=any)', endpoint: 'users', permission: 'directory:user:view' },
  { name: 'recording metadata (GET /api/v2/conversations/{id}/recordingmetadata)', endpoint: 'recording_metadata', permission: 'recording:recording:view' },
  { name: 'recording retention listing (GET /api/v2/recordings/retention/query)', endpoint: 'retention_query', permission: 'recording:recording:view' },
];

export async function probeGenesys(cfg: Config, deps: { logger: Logger; metrics: Metrics }): Promise<GenesysProbe[]> {
  if (cfg.GENESYS_CLIENT_ID === undefined || cfg.GENESYS_CLIENT_SECRET === undefined) {
    return [{ name: 'Genesys credentials', ok: true, detail: 'not configured: recordings are resolved from their keys only' }];
  }
  // Two attempts: a probe reports what it sees, it does not wait out a rate limit.
  const genesys = genesysFromConfig(cfg, deps, { retryMaxAttempts: 2 });
  if (genesys === undefined) return [];
  const { client, transport } = genesys;
  const opts = { deadline: Date.now() + 4 * (cfg.GENESYS_REQUEST_TIMEOUT_MS + 1_000) };
  const out: GenesysProbe[] = [];
  try {
    try {
      const info = await client.tokenInfo(opts);
      out.push({ name: 'login (client credentials) and GET /api/v2/tokens/me', ok: true, status: 200, detail: `organization ${info.organization?.id ?? 'unknown'}, OAuth client ${info.OAuthClient?.name ?? info.OAuthClient?.id ?? 'unknown'}` });
    } catch (err) {
      out.push({ name: 'login (client credentials) and GET /api/v2/tokens/me', ok: false, detail: describeError(err).message });
      return out;
    }
    const id = randomUUID();
    for (const probe of PROBES) {
      const send = (): Promise<RawResponse> => {
        switch (probe.endpoint) {
          case 'conversation_details':
            return transport.conversationDetails([id]);
          case 'users':
            return transport.users([id], 1, 1);
          case 'recording_metadata':
            return transport.recordingMetadata(id);
          default:
            return transport.retentionQuery(undefined, 1);
        }
      };
      try {
        const res = await client.request(probe.endpoint, send, opts);
        out.push({ name: probe.name, ok: true, status: res.status, detail: res.status === 404 ? 'answers (404 for a random id)' : 'answers' });
      } catch (err) {
        const status = isAuditError(err) && typeof err.details.status === 'number' ? err.details.status : undefined;
        out.push({
          name: probe.name,
          ok: false,
          ...(status !== undefined ? { status } : {}),
          detail: describeError(err).message,
          ...(status === 403 ? { permission: probe.permission } : {}),
        });
      }
    }
    return out;
  } finally {
    client.close();
  }
}
