import { createHash } from 'node:crypto';
import { createRandom, randomUuid, type Dataset, type SimUser } from './dataset.js';

/**
 * The simulated Genesys audit trail: its messages, API-neutral, generated from the dataset
 * (supervisors playing, exporting, deleting its recordings), and each rendered in the shape one
 * of the two audit APIs serves (audits.ts is the backend that queries and pages them).
 */

export type SimAuditApi = 'quality' | 'audits';

/** How the dataset's audit trail is generated. Shares are of the dataset's recordings. */
export interface AuditGenerationOptions {
  /** Default: the dataset's seed. */
  readonly seed?: number;
  /** Recordings played in Genesys (1–3 `Read`s each by supervisors). Default 0.5. */
  readonly readShare?: number;
  readonly exportShare?: number;
  readonly deleteShare?: number;
  readonly retentionShare?: number;
  /** Messages made by an OAuth client with no user. Default 0.05. */
  readonly clientShare?: number;
  /** Messages with status Failure. Default 0.03. */
  readonly failureShare?: number;
  /** Bad input: messages without context, or with an action the service mapping does not list. Default 0. */
  readonly badShare?: number;
}

/** One audit message, API-neutral; rendered as QualityAuditLogMessage or AuditLogMessage. */
export interface SimAuditMessage {
  /** Absent: served without an id (bad input). */
  readonly id?: string;
  readonly eventDate: string;
  readonly action: string;
  readonly entityType: string;
  /** serviceName in the quality API: RecordingPlaybackService for Read/Download, else RecordingService. */
  readonly qualityService?: string;
  /** serviceName in the general API. Default `Quality`. */
  readonly auditService?: string;
  readonly orgId?: string;
  readonly userId?: string;
  readonly clientId?: string;
  readonly remoteIps: readonly string[];
  readonly status: 'Success' | 'Failure' | 'Warning';
  readonly entityId?: string;
  readonly conversationId?: string;
  readonly propertyChanges?: readonly { readonly property: string; readonly oldValues: readonly string[]; readonly newValues: readonly string[] }[];
  /** Fields set (or, with undefined, removed) in the served JSON after rendering: malformed input for tests. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

export const RECORDING_ACTIONS = [
  'Read',
  'Download',
  'Export',
  'Delete',
  'UpdateRetention',
  'Archive',
  'RestoreRequest',
  'ApplyProtection',
  'RevokeProtection',
  'Update',
  'Create',
] as const;

/** GET /api/v2/audits/query/servicemapping (AuditQueryServiceMapping). */
export const SERVICE_MAPPING = {
  services: [
    {
      name: 'Quality',
      entities: [
        { name: 'Recording', actions: [...RECORDING_ACTIONS] },
        { name: 'ScreenRecording', actions: ['Read', 'Delete', 'Export'] },
        { name: 'RecordingAnnotation', actions: ['Create', 'Update', 'Delete'] },
        { name: 'Evaluation', actions: ['Create', 'Update', 'Delete', 'Read'] },
      ],
    },
    { name: 'Directory', entities: [{ name: 'User', actions: ['Create', 'Update', 'Delete'] }] },
    { name: 'PeoplePermissions', entities: [{ name: 'Role', actions: ['Create', 'Update', 'Delete', 'Assign', 'Unassign'] }] },
  ],
};

const UNKNOWN_ACTIONS = ['Transcode', 'Reprocess'];
const OAUTH_CLIENTS = ['7d2c0a61-9f0e-4c7a-9a57-0c1b7a5e0b01', '7d2c0a61-9f0e-4c7a-9a57-0c1b7a5e0b02'];

/** A message as the API serves it: QualityAuditLogMessage or AuditLogMessage. */
export function renderMessage(api: SimAuditApi, m: SimAuditMessage, dataset: Dataset, expandUser: boolean): Record<string, unknown> {
  const user = m.userId !== undefined ? dataset.userById.get(m.userId) : undefined;
  const out: Record<string, unknown> = {
    ...(m.id !== undefined ? { id: m.id } : {}),
    ...(m.orgId !== undefined ? { userHomeOrgId: m.orgId } : {}),
    ...(m.userId !== undefined
      ? { user: { id: m.userId, ...(expandUser && user !== undefined ? { name: user.name } : {}), selfUri: `/api/v2/users/${m.userId}` } }
      : {}),
    ...(m.clientId !== undefined ? { client: { id: m.clientId, selfUri: `/api/v2/oauth/clients/${m.clientId}` } } : {}),
    ...(api === 'quality' ? { remoteIps: [...m.remoteIps] } : { remoteIp: [...m.remoteIps] }),
    serviceName: api === 'quality' ? qualityServiceOf(m) : (m.auditService ?? 'Quality'),
    level: api === 'quality' ? 'User' : 'USER',
    status: api === 'quality' ? m.status : m.status.toUpperCase(),
    eventDate: m.eventDate,
    action: m.action,
    ...(m.entityId !== undefined ? { entity: { id: m.entityId } } : {}),
    entityType: m.entityType,
    ...(api === 'audits' ? { application: m.clientId !== undefined && m.userId === undefined ? 'API' : 'Genesys Cloud' } : {}),
    ...(m.propertyChanges !== undefined ? { propertyChanges: m.propertyChanges.map((p) => ({ ...p })) } : {}),
    // A message without context has no `context` at all, as the model allows.
    ...(m.conversationId !== undefined ? { context: { conversationId: m.conversationId } } : {}),
  };
  for (const [k, v] of Object.entries(m.overrides ?? {})) {
    if (v === undefined) Reflect.deleteProperty(out, k);
    else out[k] = v;
  }
  return out;
}

/** serviceName in the quality API (and its ServiceName filter). */
export function qualityServiceOf(m: SimAuditMessage): string {
  return m.qualityService ?? (m.action === 'Read' || m.action === 'Download' ? 'RecordingPlaybackService' : 'RecordingService');
}

/**
 * The in-Genesys recording actions over the dataset, the same for the same dataset and options:
 * supervisors (a fifth of each organization's users) playing recordings after their call ended,
 * a few exports, deletions and retention changes, some by an OAuth client with no user.
 */
export function generateAuditMessages(dataset: Dataset, options: AuditGenerationOptions = {}): SimAuditMessage[] {
  const rand = createRandom((options.seed ?? dataset.seed) ^ 0xa0d17);
  const share = (v: number | undefined, d: number): number => v ?? d;
  const readShare = share(options.readShare, 0.5);
  const exportShare = share(options.exportShare, 0.05);
  const deleteShare = share(options.deleteShare, 0.02);
  const retentionShare = share(options.retentionShare, 0.03);
  const clientShare = share(options.clientShare, 0.05);
  const failureShare = share(options.failureShare, 0.03);
  const badShare = share(options.badShare, 0);
  const supervisors = new Map<string, SimUser[]>();
  for (const org of dataset.orgs) {
    const active = dataset.users.filter((u) => u.orgId === org.id && u.state === 'active');
    const chosen = active.filter((_, i) => i % 5 === 0);
    supervisors.set(org.id, chosen.length > 0 ? chosen : active);
  }
  const ipOf = (userId: string): string => {
    const h = createHash('sha256').update(userId).digest();
    return `10.${h[0]!}.${h[1]!}.${(h[2]! % 254) + 1}`;
  };
  const out: SimAuditMessage[] = [];
  for (const rec of dataset.recordings) {
    const conv = dataset.conversationById.get(rec.conversationId)!;
    const endMs = Date.parse(conv.conversationEnd);
    const pool = supervisors.get(rec.orgId) ?? [];
    const actions: string[] = [];
    if (rand() < readShare) for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) actions.push('Read');
    if (rand() < exportShare) actions.push('Export');
    if (rand() < retentionShare) actions.push('UpdateRetention');
    if (rand() < deleteShare) actions.push('Delete');
    let t = endMs;
    for (const action of actions) {
      // Minutes to days after the call, in order: a deletion comes last.
      t += 60_000 + Math.floor(rand() * 2 * 86_400_000);
      const byClient = rand() < clientShare;
      const user = byClient || pool.length === 0 ? undefined : pool[Math.floor(rand() * pool.length)];
      const clientId = byClient || user === undefined ? OAUTH_CLIENTS[Math.floor(rand() * OAUTH_CLIENTS.length)] : undefined;
      const bad = rand() < badShare ? (rand() < 0.5 ? 'no_context' : 'unknown_action') : undefined;
      const failed = rand() < failureShare;
      const id = randomUuid(rand);
      out.push({
        id,
        eventDate: new Date(t).toISOString(),
        action: bad === 'unknown_action' ? UNKNOWN_ACTIONS[Math.floor(rand() * UNKNOWN_ACTIONS.length)]! : action,
        entityType: 'Recording',
        orgId: rec.orgId,
        ...(user !== undefined ? { userId: user.id } : {}),
        ...(clientId !== undefined ? { clientId } : {}),
        remoteIps: user !== undefined ? [ipOf(user.id)] : ['203.0.113.40'],
        status: failed ? 'Failure' : 'Success',
        entityId: rec.id,
        ...(bad === 'no_context' ? {} : { conversationId: rec.conversationId }),
        ...(action === 'UpdateRetention'
          ? {
              propertyChanges: [
                {
                  property: 'deleteDate',
                  oldValues: [new Date(endMs + 2192 * 86_400_000).toISOString()],
                  newValues: [new Date(endMs + 3653 * 86_400_000).toISOString()],
                },
              ],
            }
          : {}),
      });
    }
  }
  return out.sort((a, b) => Date.parse(a.eventDate) - Date.parse(b.eventDate));
}
