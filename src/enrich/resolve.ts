import { participantName } from '../event/names.js';
import { isAuditError } from '../core/errors.js';
import type { EnrichmentStatus, GenesysFields, GenesysParticipant } from '../event/types.js';
import type { BatchLoader } from './batch-loader.js';
import type { CallOptions } from './genesys/client.js';
import { isAudioExtension, normalizeMediaType, type ConversationDetail, type RecordingMetadata, type Sidecar } from './genesys/models.js';
import type { KeyMatch } from './keys.js';
import type { Lookup } from './lookup-cache.js';
import type { GenesysLookups } from './lookups.js';

/**
 * What one recording key resolves to. Status rules:
 * - resolved: the conversation is known to Genesys and every participant user was found;
 * - partial: what the key (and sidecar) say, but something Genesys would add is missing for good
 *   (keys-only mode, conversation of a recording-id-only key unknown, a user not found, ...);
 * - not_found: Genesys does not know the conversation and no sidecar speaks for it;
 * - pending: a lookup we needed could not be answered now (down, rate-limited past the wait
 *   budget, failing): `reenrich` completes it later.
 */
export interface Resolution {
  readonly status: EnrichmentStatus;
  readonly reason?: string;
  readonly genesys: GenesysFields;
  /** Every Genesys user id the conversation and the sidecar name. */
  readonly userIds: readonly string[];
}

export type RecordingMetadataMode = 'never' | 'lazy' | 'always';

export interface ResolveContext {
  /** Absent in keys-only mode. */
  readonly genesys: GenesysLookups | undefined;
  /** Absent unless RECORDINGS_BUCKET is set (and never used for the worker's own reads). */
  readonly sidecars: BatchLoader<Sidecar> | undefined;
  readonly recordingMetadata: RecordingMetadataMode;
}

/** Thrown inside resolution when a needed lookup has no answer now. */
class Pending extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

export function pendingReason(err: unknown): string {
  if (err instanceof Pending) return err.reason;
  if (isAuditError(err, 'GENESYS_RATE_LIMITED')) return err.details.reason === 'requester_cap' ? 'requester_lookup_cap' : 'rate_limited';
  if (isAuditError(err, 'GENESYS_UNAVAILABLE')) return err.details.reason === 'retention_rescan_due' ? 'retention_rescan_due' : 'genesys_unavailable';
  if (isAuditError(err, 'GENESYS_AUTH_FAILED')) return 'genesys_auth_failed';
  if (isAuditError(err, 'GENESYS_BAD_RESPONSE')) return 'genesys_bad_response';
  return 'internal_error';
}

export function keyFields(match: KeyMatch): GenesysFields {
  return {
    ...(match.orgId !== undefined ? { organization: { id: match.orgId } } : {}),
    ...(match.conversationId !== undefined || match.conversationStart !== undefined
      ? {
          conversation: {
            ...(match.conversationId !== undefined ? { id: match.conversationId } : {}),
            ...(match.conversationStart !== undefined ? { start: match.conversationStart } : {}),
          },
        }
      : {}),
    recording: { ...(match.recordingId !== undefined ? { id: match.recordingId } : {}), file: match.file },
  };
}

async function lookup<V>(p: Promise<Lookup<V>>): Promise<Lookup<V>> {
  try {
    return await p;
  } catch (err) {
    throw new Pending(pendingReason(err));
  }
}

/**
 * Keys only, no sidecar to read: what the key says, at once. The same answer resolveRecording
 * gives then, without a promise per recording (the worker's hot path in keys-only mode).
 */
export function resolveFromKey(match: KeyMatch): Resolution {
  return finish('partial', ['keys_only'], keyFields(match), []);
}

/**
 * Resolves one key. `sidecarKey` is set only when the sidecar may be read for this event.
 * Throws Pending (or a GENESYS_* error) when the answer must wait.
 */
export async function resolveRecording(match: KeyMatch, sidecarKey: string | undefined, ctx: ResolveContext, opts: CallOptions): Promise<Resolution> {
  const g = keyFields(match);
  const reasons: string[] = [];

  let sidecar: Sidecar | undefined;
  if (sidecarKey !== undefined && ctx.sidecars !== undefined) {
    try {
      const s = await ctx.sidecars.load(sidecarKey, opts);
      if (s.found) sidecar = s.value;
    } catch (err) {
      // Refused by the requester's cap: the sidecar can still be read, later, by reenrich.
      if (pendingReason(err) === 'requester_lookup_cap') throw new Pending('requester_lookup_cap');
      // With Genesys, an unreadable sidecar only costs information Genesys can mostly give too.
      // Keys only, it is the one source of the users (and of the conversation of a recording-id
      // key): a failure that may pass (throttling, a timeout) waits for reenrich. A denial is a
      // setting to fix, logged by the reader; waiting would hold every event forever.
      if (ctx.genesys === undefined && !(isAuditError(err) && err.details.status === 403)) throw new Pending('sidecar_unreadable');
      reasons.push('sidecar_unreadable');
    }
  }
  const sidecarUsers = (sidecar?.userIds ?? []).map((u) => u.toLowerCase());
  const sidecarCid = sidecar?.conversationId?.toLowerCase();

  let cid = match.conversationId ?? sidecarCid;
  const lookups = ctx.genesys;
  if (cid === undefined && match.recordingId !== undefined && lookups !== undefined) {
    const found = await lookup(lookups.retention.conversationOf(match.recordingId, opts));
    if (found.found) cid = found.value;
  }
  if (cid !== undefined) g.conversation = { ...g.conversation, id: cid };

  const recording = (g.recording ??= {});
  applySidecar(recording, sidecar);

  if (lookups === undefined || cid === undefined) {
    // The sidecar names the users but not their roles.
    if (sidecarUsers.length > 0) {
      g.participants = unique(sidecarUsers).map((id) => ({ user_id: id }));
      g.agent = { user_ids: unique(sidecarUsers) };
    }
    return finish('partial', [lookups === undefined ? 'keys_only' : 'conversation_unknown', ...reasons], g, unique(sidecarUsers));
  }

  const conv = await lookup(lookups.conversations.load(cid, opts));
  const detail = conv.found ? conv.value : undefined;
  if (detail?.conversationStart !== undefined) g.conversation = { ...g.conversation, start: new Date(detail.conversationStart).toISOString() };

  const participants = detail !== undefined ? participantsOf(detail) : [];
  const userIds = unique([...participants.flatMap((p) => (p.user_id !== undefined ? [p.user_id] : [])), ...sidecarUsers]);
  if (detail === undefined && userIds.length === 0) {
    return finish(sidecar !== undefined ? 'partial' : 'not_found', ['conversation_not_found', ...reasons], g, []);
  }

  // Names of the users, in one batched lookup per window across every recording in flight.
  const users = await Promise.all(userIds.map((id) => lookup(lookups.users.load(id, opts)).then((u) => [id, u] as const)));
  const names = new Map<string, string | undefined>();
  for (const [id, u] of users) {
    if (u.found) names.set(id, u.value.name);
    else reasons.push('user_not_found');
  }
  g.participants =
    detail !== undefined
      ? participants.map((p) => {
          const name = p.user_id === undefined ? undefined : names.get(p.user_id);
          return name !== undefined ? { ...p, ...participantName(name) } : p;
        })
      : userIds.map((id) => {
          const name = names.get(id);
          return { user_id: id, ...(name !== undefined ? participantName(name) : {}) };
        });
  const agents = agentUserIds(participants, sidecarUsers);
  if (agents.length > 0) g.agent = { user_ids: agents };

  if (recording.media_type === undefined) recording.media_type = mediaFromAnalytics(detail, match.ext);
  const wantMetadata = ctx.recordingMetadata === 'always' || (ctx.recordingMetadata === 'lazy' && recording.media_type === undefined);
  if (wantMetadata && match.recordingId !== undefined) {
    let list: Lookup<RecordingMetadata[]> | undefined;
    try {
      list = await lookup(lookups.recordings.load(cid, opts));
    } catch (err) {
      // Asked for by configuration: wait for it. Asked for lazily: the media type is a detail
      // that must not hold the event back (a missing permission would hold it forever).
      if (ctx.recordingMetadata === 'always') throw err;
      reasons.push('recording_metadata_unavailable');
    }
    const meta = list?.found === true ? list.value.find((r) => r.id.toLowerCase() === match.recordingId) : undefined;
    if (meta !== undefined) applyMetadata(recording, meta);
    else if (ctx.recordingMetadata === 'always') reasons.push('recording_not_found');
  }

  if (detail === undefined) reasons.unshift('conversation_not_found');
  const status: EnrichmentStatus = reasons.some((r) => r !== 'sidecar_unreadable') ? 'partial' : 'resolved';
  return finish(status, reasons, g, userIds);
}

function finish(status: EnrichmentStatus, reasons: string[], genesys: GenesysFields, userIds: readonly string[]): Resolution {
  const reason = unique(reasons).join(',');
  return { status, ...(reason !== '' ? { reason } : {}), genesys, userIds };
}

function applySidecar(recording: NonNullable<GenesysFields['recording']>, sidecar: Sidecar | undefined): void {
  if (sidecar === undefined) return;
  const media = normalizeMediaType(sidecar.mediaType);
  if (media !== undefined) recording.media_type = media;
  const start = isoOrUndefined(sidecar.startTime);
  const end = isoOrUndefined(sidecar.endTime);
  if (start !== undefined) recording.start = start;
  if (end !== undefined) recording.end = end;
}

function applyMetadata(recording: NonNullable<GenesysFields['recording']>, meta: RecordingMetadata): void {
  const media = normalizeMediaType(meta.media);
  if (media !== undefined) recording.media_type = media;
  const start = isoOrUndefined(meta.startTime);
  const end = isoOrUndefined(meta.endTime);
  if (start !== undefined) recording.start = start;
  if (end !== undefined) recording.end = end;
  if (meta.fileState !== undefined) recording.file_state = meta.fileState;
}

/** Sidecars write `2023-08-29T23:19:04.873+0000`; Date.parse needs the colon in the offset. */
function isoOrUndefined(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * Participants of the conversation. Names are kept only for Genesys users: a customer's
 * participantName is often a phone number or a patient's name, which an audit index must not copy.
 */
export function participantsOf(detail: ConversationDetail): GenesysParticipant[] {
  const seen = new Set<string>();
  const out: GenesysParticipant[] = [];
  for (const p of detail.participants ?? []) {
    const userId = p.userId?.toLowerCase();
    const key = `${userId ?? ''}|${p.purpose ?? ''}`;
    if (seen.has(key) || (userId === undefined && p.purpose === undefined)) continue;
    seen.add(key);
    out.push({
      ...(userId !== undefined ? { user_id: userId } : {}),
      ...(userId !== undefined && p.participantName !== undefined ? participantName(p.participantName) : {}),
      ...(p.purpose !== undefined ? { purpose: p.purpose } : {}),
    });
  }
  return out;
}

/** Participant purposes that are the organization's own staff handling the conversation. */
const AGENT_PURPOSES: ReadonlySet<string> = new Set(['agent', 'user']);

/**
 * `genesys.agent.user_ids`: the Genesys users who handled the conversation, i.e. the user ids of
 * participants whose purpose is `agent` (routed through a queue) or `user` (a direct call, a
 * consult or transfer target), plus the users the recording's sidecar names (the users whose
 * recording it is, whatever their purpose). Users in other roles (a `voicemail` box owner, a
 * `workflow`, a `station`...) stay in `genesys.participants` but are not agents.
 * Lowercased ids, in order of first appearance, without repeats.
 */
export function agentUserIds(participants: readonly GenesysParticipant[], sidecarUsers: readonly string[]): string[] {
  const fromPurpose = participants.flatMap((p) =>
    p.user_id !== undefined && p.purpose !== undefined && AGENT_PURPOSES.has(p.purpose.toLowerCase()) ? [p.user_id] : [],
  );
  return unique([...fromPurpose, ...sidecarUsers.map((u) => u.toLowerCase())]);
}

/**
 * The recording's media type from the conversation: the kinds of recorded sessions (plus screen
 * recordings), narrowed by the file extension (exported calls are `.opus`). Undefined when more
 * than one kind remains.
 */
export function mediaFromAnalytics(detail: ConversationDetail | undefined, ext: string | undefined): string | undefined {
  const kinds = new Set<string>();
  for (const p of detail?.participants ?? []) {
    if (p.screenRecording === true) kinds.add('screen');
    for (const s of p.sessions ?? []) {
      if (s.recording === true) {
        const m = normalizeMediaType(s.mediaType);
        if (m !== undefined) kinds.add(m);
      }
    }
  }
  if (isAudioExtension(ext)) return kinds.size === 0 || kinds.has('audio') ? 'audio' : undefined;
  if (ext !== undefined) kinds.delete('audio');
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
