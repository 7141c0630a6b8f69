/**
 * A deterministic Genesys Cloud world from a seed: organizations, users, conversations and their
 * recordings, with the helpers that name the matching S3 objects (the bulk-export layout, its
 * `_metadata.json` sidecar, a recording-id-only layout). The simulator serves it; tests, the demo
 * and the benchmarks generate the same dataset from the same seed to write matching keys.
 */

export interface DatasetOptions {
  readonly seed?: number;
  readonly orgs?: number;
  readonly users?: number;
  readonly conversations?: number;
  /** Total recordings, at least one per conversation. Default 1.5 per conversation. */
  readonly recordings?: number;
  /** Share of conversations with a screen recording besides the call. */
  readonly screenRatio?: number;
  /** Share of users that are deleted (found only with `state=any`). */
  readonly deletedUserRatio?: number;
  /** Conversations start within [start, start + spanDays). */
  readonly start?: string;
  readonly spanDays?: number;
  /**
   * Named people to add as Genesys users of the first organization (the demo's cast, so the S3
   * principals named by their email exist in Genesys). Each joins some conversations as a second
   * agent: a reviewer then reads calls they were on and calls they were not.
   */
  readonly staff?: readonly StaffMember[];
  /** Share of conversations each staff member joins. Default 0.2. */
  readonly staffParticipationRatio?: number;
}

export interface StaffMember {
  readonly name: string;
  readonly email: string;
  readonly department?: string;
}

export interface SimSession {
  readonly sessionId: string;
  readonly mediaType: string;
  readonly direction: string;
  readonly recording?: boolean;
}

export interface SimParticipant {
  readonly participantId: string;
  readonly participantName?: string;
  readonly purpose: string;
  readonly userId?: string;
  readonly screenRecording?: boolean;
  readonly sessions: readonly SimSession[];
}

export interface SimConversation {
  readonly conversationId: string;
  readonly orgId: string;
  readonly conversationStart: string;
  readonly conversationEnd: string;
  readonly originatingDirection: string;
  readonly divisionIds: readonly string[];
  readonly participants: readonly SimParticipant[];
}

export interface SimUser {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly email: string;
  readonly username: string;
  readonly state: 'active' | 'inactive' | 'deleted';
  readonly division: { readonly id: string; readonly name: string };
  readonly department?: string;
}

export interface SimRecording {
  readonly id: string;
  readonly conversationId: string;
  readonly orgId: string;
  /** RecordingMetadata.media */
  readonly media: 'audio' | 'screen';
  /** Sidecar mediaType */
  readonly sidecarMediaType: 'Call' | 'Screen';
  readonly ext: string;
  readonly startTime: string;
  readonly endTime: string;
  readonly fileState: string;
  readonly userIds: readonly string[];
  readonly sessionId: string;
}

export interface Dataset {
  readonly seed: number;
  readonly orgs: readonly { readonly id: string; readonly name: string }[];
  readonly users: readonly SimUser[];
  readonly conversations: readonly SimConversation[];
  readonly recordings: readonly SimRecording[];
  readonly userById: ReadonlyMap<string, SimUser>;
  readonly conversationById: ReadonlyMap<string, SimConversation>;
  readonly recordingById: ReadonlyMap<string, SimRecording>;
  readonly recordingsByConversation: ReadonlyMap<string, readonly SimRecording[]>;
}

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomUuid(rand: () => number): string {
  const hex: string[] = [];
  for (let i = 0; i < 16; i++)
    hex.push(
      Math.floor(rand() * 256)
        .toString(16)
        .padStart(2, '0'),
    );
  hex[6] = `4${hex[6]!.slice(1)}`;
  hex[8] = ((parseInt(hex[8]!, 16) & 0x3f) | 0x80).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jun', 'Kai', 'Lea', 'Max', 'Nia', 'Oto', 'Pia'];
const DEPARTMENTS = ['Patient Access', 'Care Coordination', 'Billing', 'Nurse Line'];
const LAST = ['Agent', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fox', 'Gray', 'Hill', 'Ito', 'Jones', 'Khan', 'Lopez'];

export function generateDataset(options: DatasetOptions = {}): Dataset {
  const seed = options.seed ?? 1;
  const rand = createRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const nOrgs = Math.max(1, options.orgs ?? 1);
  const nUsers = Math.max(1, options.users ?? 50);
  const nConversations = Math.max(1, options.conversations ?? 200);
  const nRecordings = Math.max(nConversations, options.recordings ?? Math.round(nConversations * 1.5));
  const screenRatio = options.screenRatio ?? 0.1;
  const deletedRatio = options.deletedUserRatio ?? 0.05;
  const start = Date.parse(options.start ?? '2024-05-01T00:00:00.000Z');
  const spanMs = (options.spanDays ?? 30) * 86_400_000;

  const orgs = Array.from({ length: nOrgs }, (_, i) => ({ id: randomUuid(rand), name: `Sim Org ${i + 1}` }));
  const divisions = orgs.map((o) => ({ id: randomUuid(rand), name: `Home ${o.name}` }));
  const users: SimUser[] = Array.from({ length: nUsers }, (_, i) => {
    const org = i % nOrgs;
    const name = `${pick(FIRST)} ${pick(LAST)} ${i + 1}`;
    const login = `${name.toLowerCase().replace(/\s+/g, '.')}@example.test`;
    return {
      id: randomUuid(rand),
      orgId: orgs[org]!.id,
      name,
      email: login,
      username: login,
      state: rand() < deletedRatio ? 'deleted' : 'active',
      division: divisions[org]!,
      // By position, not drawn: the seeded sequence (and so every id) stays what it was.
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
    };
  });
  const usersByOrg = orgs.map((o) => users.filter((u) => u.orgId === o.id));

  // Recordings per conversation: one each, the rest spread at random.
  const recordingCount = new Array<number>(nConversations).fill(1);
  for (let i = nConversations; i < nRecordings; i++) recordingCount[Math.floor(rand() * nConversations)]! += 1;

  const conversations: SimConversation[] = [];
  const recordings: SimRecording[] = [];
  for (let c = 0; c < nConversations; c++) {
    const orgIndex = c % nOrgs;
    const orgId = orgs[orgIndex]!.id;
    const pool = usersByOrg[orgIndex]!.length > 0 ? usersByOrg[orgIndex]! : users;
    const cid = randomUuid(rand);
    const startMs = start + Math.floor(rand() * spanMs);
    const durationMs = 60_000 + Math.floor(rand() * 20 * 60_000);
    const direction = rand() < 0.7 ? 'inbound' : 'outbound';
    const agents = [pick(pool)];
    if (rand() < 0.2) {
      const second = pick(pool);
      if (second.id !== agents[0]!.id) agents.push(second);
    }
    const count = recordingCount[c]!;
    const screen = count > 1 && rand() < screenRatio * 2;
    const participants: SimParticipant[] = [
      {
        participantId: randomUuid(rand),
        participantName: `tel:+1555${String(Math.floor(rand() * 10_000_000)).padStart(7, '0')}`,
        purpose: 'customer',
        sessions: [{ sessionId: randomUuid(rand), mediaType: 'voice', direction, recording: true }],
      },
      {
        participantId: randomUuid(rand),
        participantName: 'Main IVR',
        purpose: 'ivr',
        sessions: [{ sessionId: randomUuid(rand), mediaType: 'voice', direction }],
      },
      ...agents.map((a, i) => ({
        participantId: randomUuid(rand),
        participantName: a.name,
        purpose: 'agent',
        userId: a.id,
        ...(screen && i === 0 ? { screenRecording: true } : {}),
        sessions: [{ sessionId: randomUuid(rand), mediaType: 'voice', direction, recording: true }],
      })),
    ];
    const conv: SimConversation = {
      conversationId: cid,
      orgId,
      conversationStart: new Date(startMs).toISOString(),
      conversationEnd: new Date(startMs + durationMs).toISOString(),
      originatingDirection: direction,
      divisionIds: [divisions[orgIndex]!.id],
      participants,
    };
    conversations.push(conv);
    for (let r = 0; r < count; r++) {
      const isScreen = screen && r === count - 1;
      const recStart = startMs + 1_000 + Math.floor(rand() * 5_000) + r * 1_000;
      recordings.push({
        id: randomUuid(rand),
        conversationId: cid,
        orgId,
        media: isScreen ? 'screen' : 'audio',
        sidecarMediaType: isScreen ? 'Screen' : 'Call',
        // `.opus` for calls is what real exports use; the screen extension is not documented.
        ext: isScreen ? 'webm' : 'opus',
        startTime: new Date(recStart).toISOString(),
        endTime: new Date(Math.max(recStart + 1_000, startMs + durationMs - 500)).toISOString(),
        fileState: 'AVAILABLE',
        userIds: agents.map((a) => a.id),
        sessionId: randomUuid(rand),
      });
    }
  }

  if (options.staff !== undefined && options.staff.length > 0) {
    addStaff(options.staff, options.staffParticipationRatio ?? 0.2, seed, orgs[0]!.id, divisions[0]!, users, conversations, recordings);
  }

  const recordingsByConversation = new Map<string, SimRecording[]>();
  for (const r of recordings) {
    const list = recordingsByConversation.get(r.conversationId);
    if (list === undefined) recordingsByConversation.set(r.conversationId, [r]);
    else list.push(r);
  }
  return {
    seed,
    orgs,
    users,
    conversations,
    recordings,
    userById: new Map(users.map((u) => [u.id, u])),
    conversationById: new Map(conversations.map((c) => [c.conversationId, c])),
    recordingById: new Map(recordings.map((r) => [r.id, r])),
    recordingsByConversation,
  };
}

/**
 * Adds the named staff as users and as a second agent of some conversations of their organization
 * (and to those recordings' users). A random sequence of its own: the rest of the dataset is the
 * same with or without staff.
 */
function addStaff(
  staff: readonly StaffMember[],
  ratio: number,
  seed: number,
  orgId: string,
  division: { readonly id: string; readonly name: string },
  users: SimUser[],
  conversations: SimConversation[],
  recordings: SimRecording[],
): void {
  const rand = createRandom(seed ^ 0x57a ^ 0x5eed0000);
  const added: SimUser[] = staff.map((m) => {
    const email = m.email.toLowerCase();
    return {
      id: randomUuid(rand),
      orgId,
      name: m.name,
      email,
      username: email,
      state: 'active',
      division,
      ...(m.department !== undefined ? { department: m.department } : {}),
    };
  });
  users.push(...added);
  const joined = new Map<string, string[]>();
  conversations.forEach((c, i) => {
    if (c.orgId !== orgId) return;
    const extra = added.filter(() => rand() < ratio);
    if (extra.length === 0) return;
    const direction = c.originatingDirection;
    conversations[i] = {
      ...c,
      participants: [
        ...c.participants,
        ...extra.map((u) => ({
          participantId: randomUuid(rand),
          participantName: u.name,
          purpose: 'agent',
          userId: u.id,
          sessions: [{ sessionId: randomUuid(rand), mediaType: 'voice', direction, recording: true }],
        })),
      ],
    };
    joined.set(
      c.conversationId,
      extra.map((u) => u.id),
    );
  });
  recordings.forEach((r, i) => {
    const extra = joined.get(r.conversationId);
    if (extra !== undefined) recordings[i] = { ...r, userIds: [...r.userIds, ...extra] };
  });
}

/** Partition folder of a conversation in the bulk-export layout (UTC start; `pad` zero-pads). */
export function exportFolder(conv: SimConversation, options: { pad?: boolean } = {}): string {
  const t = new Date(conv.conversationStart);
  const p = (n: number): string => (options.pad === true ? String(n).padStart(2, '0') : String(n));
  return `${conv.orgId}/year=${t.getUTCFullYear()}/month=${p(t.getUTCMonth() + 1)}/day=${p(t.getUTCDate())}/hour=${p(t.getUTCHours())}/conversation_id=${conv.conversationId}`;
}

/** `{org}/year=…/conversation_id={cid}/{rid}.{ext}` */
export function exportKey(dataset: Dataset, rec: SimRecording, options: { pad?: boolean } = {}): string {
  const conv = dataset.conversationById.get(rec.conversationId)!;
  return `${exportFolder(conv, options)}/${rec.id}.${rec.ext}`;
}

/** The sidecar next to the media file: `{rid}.{ext}_metadata.json`. */
export function exportMetadataKey(dataset: Dataset, rec: SimRecording, options: { pad?: boolean } = {}): string {
  return `${exportKey(dataset, rec, options)}_metadata.json`;
}

/** `recordings/YYYY/MM/DD/{rid}.{ext}`: a layout without the conversation id. */
export function recordingIdOnlyKey(rec: SimRecording): string {
  const t = new Date(rec.startTime);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `recordings/${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())}/${rec.id}.${rec.ext}`;
}

/** The `_metadata.json` content, with the fields documented or seen in real exports. */
export function sidecarDocument(rec: SimRecording): Record<string, unknown> {
  const fmt = (iso: string): string => iso.replace('Z', '+0000');
  return {
    conversationId: rec.conversationId,
    recordingId: rec.id,
    mediaType: rec.sidecarMediaType,
    provider: 'edge',
    userIds: rec.userIds,
    startTime: fmt(rec.startTime),
    endTime: fmt(rec.endTime),
    durationMs: Date.parse(rec.endTime) - Date.parse(rec.startTime),
  };
}
