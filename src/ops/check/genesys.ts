import { describeError } from '../../core/errors.js';
import { redactSecretsInText } from '../../core/redact-text.js';
import type { GenesysTransport, RawResponse } from '../../enrich/genesys/sdk.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

/** An id that exists nowhere: a permitted call answers 200 (empty) or 404, a forbidden one 403. */
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

interface Needed {
  readonly check: string;
  readonly permission: string;
  readonly call: (t: GenesysTransport) => Promise<RawResponse>;
}

/** The calls the worker makes, each with the role permission it needs (genesys-api.md §8). */
export const NEEDED: readonly Needed[] = [
  { check: 'conversation details', permission: 'analytics:conversationDetail:view', call: (t) => t.conversationDetails([NO_SUCH_ID]) },
  { check: 'recording metadata', permission: 'recording:recording:view', call: (t) => t.recordingMetadata(NO_SUCH_ID) },
  { check: 'recording retention query', permission: 'recording:recording:view', call: (t) => t.retentionQuery(undefined, 1) },
  { check: 'users', permission: 'directory:user:view (division visibility)', call: (t) => t.users([NO_SUCH_ID], 1, 1) },
  // actor.genesys_user_id: S3 principals named by an email are searched by it.
  { check: 'users search', permission: 'directory:user:view (division visibility)', call: (t) => t.usersSearch(['nobody@no-such-user.invalid'], 1, 1) },
];

/** The Genesys audit source's queries, when GENESYS_AUDIT_INTERVAL_SECS turns it on: the state of a query that does not exist. */
const AUDIT_NEEDED: Readonly<Record<'quality' | 'audits', Needed>> = {
  quality: {
    check: 'audit trail (quality)',
    permission: 'audits:interactionDetails:view',
    call: (t) => t.getQualityConversationsAuditsQueryTransactionId(NO_SUCH_ID),
  },
  audits: { check: 'audit trail (audits)', permission: 'audits:audit:view', call: (t) => t.getAuditsQueryTransactionId(NO_SUCH_ID) },
};

/** What this configuration calls: the lookups, and the audit queries of GENESYS_AUDIT_APIS when the audit source is on. */
export function neededCalls(cfg: { readonly GENESYS_AUDIT_INTERVAL_SECS: number; readonly GENESYS_AUDIT_APIS: readonly string[] }): Needed[] {
  const audits = cfg.GENESYS_AUDIT_INTERVAL_SECS > 0 ? (['quality', 'audits'] as const).filter((api) => cfg.GENESYS_AUDIT_APIS.includes(api)) : [];
  return [...NEEDED, ...audits.map((api) => AUDIT_NEEDED[api])];
}

function why(err: unknown): string {
  const { code, message } = describeError(err);
  return redactSecretsInText(`${code}: ${message}`);
}

function judge(rows: Rows, n: Needed, res: RawResponse): void {
  const s = res.status;
  if ((s >= 200 && s < 300) || s === 404) rows.pass(n.check, `answers (HTTP ${s})`);
  else if (s === 403)
    rows.fail(
      n.check,
      `refused (HTTP 403): the OAuth client's role lacks ${n.permission}`,
      `Add ${n.permission} to the role of the OAuth client (Admin > Roles), in the divisions that hold the conversations.`,
    );
  else if (s === 401)
    rows.fail(n.check, 'the token was refused (HTTP 401)', 'Check that the OAuth client is active and GENESYS_ENVIRONMENT matches its region.');
  else if (s === 429)
    rows.warn(
      n.check,
      'rate limited (HTTP 429); the permission could not be verified',
      'Run check again later, or lower GENESYS_REQUESTS_PER_MINUTE if the worker shares this client.',
    );
  else rows.fail(n.check, `answered HTTP ${s}`, 'Check GENESYS_API_URL / GENESYS_ENVIRONMENT and the Genesys Cloud status page.');
}

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('genesys');
  if (ctx.config.GENESYS_CLIENT_ID === undefined) {
    rows.skip('login', 'not configured (GENESYS_CLIENT_ID unset): events are resolved from keys only');
    return rows.rows;
  }
  if (ctx.genesys === undefined) {
    rows.skip('login', 'this build has no Genesys client');
    return rows.rows;
  }
  const where = ctx.config.GENESYS_API_URL ?? `https://api.${ctx.config.GENESYS_ENVIRONMENT}`;
  let transport: GenesysTransport;
  try {
    transport = ctx.genesys();
    const login = await transport.login();
    if (!login.ok) {
      const s = login.response.status;
      rows.fail(
        'login',
        `client-credentials login at ${where} refused (HTTP ${s})`,
        s === 400 || s === 401
          ? 'Check GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET and that the OAuth client uses the Client Credentials grant in this region (GENESYS_ENVIRONMENT).'
          : 'Check GENESYS_ENVIRONMENT / GENESYS_API_URL.',
      );
      for (const n of neededCalls(ctx.config)) rows.skip(n.check, 'login failed');
      return rows.rows;
    }
  } catch (err) {
    rows.fail('login', `no answer from ${where}: ${why(err)}`, 'Check GENESYS_ENVIRONMENT / GENESYS_API_URL and outbound HTTPS from the task.');
    for (const n of neededCalls(ctx.config)) rows.skip(n.check, 'login failed');
    return rows.rows;
  }
  rows.pass('login', `client credentials accepted by ${where}`);
  for (const n of neededCalls(ctx.config)) {
    try {
      judge(rows, n, await n.call(transport));
    } catch (err) {
      rows.fail(n.check, `no answer: ${why(err)}`, 'Check the network path to Genesys Cloud.');
    }
  }
  return rows.rows;
}

export const genesysChecks: CheckGroup = {
  name: 'genesys',
  summary: 'Genesys Cloud login works and every API the worker calls answers.',
  needs: [],
  run,
};
