import { formatKeyStamp } from '../../sources/log-keys.js';
import type { StaffMember } from '../genesys/dataset.js';
import { formatAccessRecord, requestIds, seededRandom, type AccessRecord } from './access-log-writer.js';

/** A recording exported by Genesys Cloud into the recordings bucket. */
export interface ExportedRecording {
  readonly orgId: string;
  readonly conversationId: string;
  readonly recordingId: string;
  /** Conversation start: the export partitions by it. */
  readonly start: Date;
  /** Conversation end: the export uploads only after it. Default: eight minutes after the start. */
  readonly end?: Date;
  /** Keys as the exporter wrote them, when they come from elsewhere (the Genesys simulator). */
  readonly keys?: { readonly media: string; readonly metadata: string };
}

/** The Genesys bulk-export layout (AWS S3 integration). */
export function recordingKey(r: ExportedRecording, file: 'media' | 'metadata' = 'media'): string {
  if (r.keys) return r.keys[file];
  const d = r.start;
  const base = `${r.orgId}/year=${d.getUTCFullYear()}/month=${d.getUTCMonth() + 1}/day=${d.getUTCDate()}/hour=${d.getUTCHours()}/conversation_id=${r.conversationId}/${r.recordingId}.opus`;
  return file === 'media' ? base : `${base}_metadata.json`;
}

export interface Principal {
  readonly arn: string;
  readonly ip: string;
  readonly userAgent: string;
}

export interface ScenarioOptions {
  readonly recordingsBucket: string;
  readonly bucketOwner: string;
  readonly accountId: string;
  readonly recordings: readonly ExportedRecording[];
  /** The UTC day whose calls are exported; reads and the night's bulk download reach into the next day. */
  readonly day: Date;
  readonly seed: number;
  /** Plays per recording on average. */
  readonly playsPerRecording?: number;
  /** User-Agent suffix of recording-audit's own reads (its sidecar fetches). */
  readonly selfUserAgentSuffix?: string;
}

/** One S3 server access log object as S3 would deliver it. */
export interface LogObject {
  /** Key time: S3 names log objects by delivery time. */
  readonly deliveredAt: Date;
  readonly lines: string[];
}

/** Who the scenario's principals are, so the demo's summary and tests can name them. */
export interface ScenarioCast {
  readonly exporter: Principal;
  readonly self: Principal;
  readonly presigner: Principal;
  /** People signing in through IAM Identity Center: the session name is their email address. */
  readonly qaTeam: readonly Principal[];
  readonly reviewer: Principal;
  /** Denied on every request. */
  readonly contractor: Principal;
  readonly recordsAdmin: Principal;
  /** Reads many recordings, at night from `bulkIp`, an address they never used before. */
  readonly bulkReader: Principal;
  readonly bulkIp: string;
}

export interface AccessDay {
  objects: LogObject[];
  recordsWritten: number;
}

const ENDPOINT = (bucket: string): string => `${bucket}.s3.us-east-1.amazonaws.com`;
const MIN = 60_000;
const HOUR = 3_600_000;

const CONSOLE_UA =
  '[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.219-186.866.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]';
const CLI_UA = (os: string, command: string): string =>
  `aws-cli/2.17.2 md/awscrt#0.20.11 ua/2.0 os/${os} md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${command}`;
const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/** IAM Identity Center sessions log as the permission set's reserved role, named by the person's email. */
const sso = (acct: string, permissionSet: string, email: string): string => `arn:aws:sts::${acct}:assumed-role/AWSReservedSSO_${permissionSet}/${email}`;

export function scenarioCast(accountId: string, selfUserAgentSuffix = 'recording-audit'): ScenarioCast {
  const qa = (email: string, ip: string): Principal => ({ arn: sso(accountId, 'QAReviewer_8c2f4e1a9b7d3c55', email), ip, userAgent: CONSOLE_UA });
  return {
    exporter: {
      arn: `arn:aws:sts::${accountId}:assumed-role/genesys-recording-export/GenesysCloud`,
      ip: '52.4.81.12',
      userAgent: 'aws-sdk-java/2.25.16 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10',
    },
    self: {
      arn: `arn:aws:sts::${accountId}:assumed-role/recording-audit-task/ecs`,
      ip: '10.20.9.3',
      userAgent: `aws-sdk-js/3.1175.0 ua/2.1 os/linux lang/js md/nodejs#24.11.0 ${selfUserAgentSuffix}`,
    },
    presigner: {
      arn: `arn:aws:sts::${accountId}:assumed-role/qa-playback/presigner`,
      ip: '203.0.113.77',
      userAgent: BROWSER_UA,
    },
    qaTeam: [
      qa('sofia.moreno@example-health.org', '10.20.4.17'),
      qa('dan.okafor@example-health.org', '10.20.4.22'),
      qa('priya.shah@example-health.org', '10.20.4.40'),
    ],
    reviewer: {
      arn: sso(accountId, 'ComplianceAuditor_51d0b6e2a4f8c913', 'grace.lin@example-health.org'),
      ip: '198.51.100.23',
      userAgent: CLI_UA('windows#10', 's3.cp'),
    },
    contractor: {
      arn: sso(accountId, 'ContractorQA_0e7a93c4b1f25d68', 'tom.becker@bpo-partner.example'),
      ip: '192.0.2.200',
      userAgent: CLI_UA('linux#6.5.0', 's3api.get-object'),
    },
    recordsAdmin: {
      arn: sso(accountId, 'RecordsManagement_7b4c2e9f0a1d3865', 'maria.gonzalez@example-health.org'),
      ip: '198.51.100.5',
      userAgent: CONSOLE_UA,
    },
    bulkReader: qa('kevin.walsh@example-health.org', '10.20.4.31'),
    bulkIp: '198.51.100.77',
  };
}

/**
 * The cast's people as Genesys users (the Genesys simulator's `staff`): every person the scenario
 * signs in with an email-named session, with a name and department, so their S3 reads resolve to
 * a Genesys user (actor.genesys_user_id).
 */
export function castStaff(cast: ScenarioCast): StaffMember[] {
  const person = (p: Principal, department: string): StaffMember => {
    const email = p.arn.slice(p.arn.lastIndexOf('/') + 1);
    const name = email
      .slice(0, email.indexOf('@'))
      .split('.')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(' ');
    return { name, email, department };
  };
  return [
    ...cast.qaTeam.map((p) => person(p, 'Quality Assurance')),
    person(cast.reviewer, 'Compliance'),
    person(cast.contractor, 'BPO Partner QA'),
    person(cast.recordsAdmin, 'Records Management'),
    person(cast.bulkReader, 'Quality Assurance'),
  ];
}

/**
 * A realistic day of access to exported recordings, in causal order for every object: a call ends;
 * the Genesys export role uploads its recording and then the `_metadata.json` sidecar; recording-audit
 * reads the sidecar; then people read: the QA team in the console during working hours, a compliance
 * reviewer with the CLI, the QA application's browser playback by presigned URL (used between its
 * signing and its expiry), a contractor denied on every try, and one person reading many recordings,
 * at night from an address they never used before. Last, a records manager deletes one recording
 * and its sidecar: nothing touches them afterwards. The same seed gives the same lines.
 */
export function accessDay(options: ScenarioOptions): AccessDay {
  const rand = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const between = (lo: number, hi: number): number => lo + Math.floor(rand() * Math.max(1, hi - lo));
  const cast = scenarioCast(options.accountId, options.selfUserAgentSuffix);
  const dayStart = Date.UTC(options.day.getUTCFullYear(), options.day.getUTCMonth(), options.day.getUTCDate());
  /** A time in working hours (12:00–20:00 UTC, 8–16 h in New York) at least `gapMs` after `t`. */
  const workHoursAfter = (t: number, gapMs: number): number => {
    let d = Math.floor((t + gapMs) / 86_400_000) * 86_400_000;
    let lo = Math.max(t + gapMs, d + 12 * HOUR);
    if (lo >= d + 20 * HOUR) {
      d += 86_400_000;
      lo = d + 12 * HOUR;
    }
    return between(lo, d + 20 * HOUR);
  };

  const records: AccessRecord[] = [];
  let counter = options.seed * 1_000_000;
  const base = (p: Principal, time: number, op: string, key: string, method: string, query = ''): AccessRecord => {
    counter += 1;
    const ids = requestIds(counter);
    return {
      bucketOwner: options.bucketOwner,
      bucket: options.recordingsBucket,
      // S3 logs whole seconds.
      time: new Date(Math.floor(time / 1000) * 1000),
      remoteIp: p.ip,
      requester: p.arn,
      requestId: ids.requestId,
      operation: op,
      key,
      method,
      uri: `/${encodeURI(key).replace(/=/g, '%3D')}${query}`,
      httpStatus: 200,
      totalTimeMs: 20 + Math.floor(rand() * 200),
      turnAroundMs: 5 + Math.floor(rand() * 40),
      userAgent: p.userAgent,
      hostId: ids.hostId,
      signatureVersion: 'SigV4',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      authType: 'AuthHeader',
      hostHeader: ENDPOINT(options.recordingsBucket),
      tlsVersion: 'TLSv1.3',
      sourceRegion: p.ip.startsWith('10.') ? 'us-east-1' : undefined,
    };
  };
  const get = (p: Principal, time: number, key: string, size: number): AccessRecord => ({
    ...base(p, time, 'REST.GET.OBJECT', key, 'GET'),
    bytesSent: size,
    objectSize: size,
  });

  interface Uploaded {
    readonly rec: ExportedRecording;
    readonly media: string;
    readonly meta: string;
    readonly size: number;
    /** When the sidecar, the later of the two files, was written (ms). */
    readonly at: number;
  }
  const uploaded: Uploaded[] = [];
  for (const rec of options.recordings) {
    const media = recordingKey(rec, 'media');
    const meta = recordingKey(rec, 'metadata');
    const size = 200_000 + Math.floor(rand() * 4_000_000);
    const callEnd = (rec.end ?? new Date(rec.start.getTime() + 8 * MIN)).getTime();
    // The export runs after the call ends: media first, its sidecar a few seconds later.
    const mediaAt = callEnd + between(2 * MIN, 20 * MIN);
    const metaAt = mediaAt + between(1000, 6000);
    records.push({ ...base(cast.exporter, mediaAt, 'REST.PUT.OBJECT', media, 'PUT'), objectSize: size });
    records.push({ ...base(cast.exporter, metaAt, 'REST.PUT.OBJECT', meta, 'PUT'), objectSize: 1800 });
    // recording-audit reads the sidecar when the first access to the recording reaches it.
    records.push(get(cast.self, metaAt + between(30_000, 180_000), meta, 1800));
    uploaded.push({ rec, media, meta, size, at: metaAt });

    const plays = Math.round((options.playsPerRecording ?? 2) * rand() * 2);
    for (let i = 0; i < plays; i += 1) {
      const p = rand() < 0.15 ? cast.reviewer : pick(cast.qaTeam);
      const t = workHoursAfter(metaAt, 10 * MIN);
      // The console checks the object before it downloads it.
      records.push({ ...base(p, t, 'REST.HEAD.OBJECT', media, 'HEAD'), objectSize: size });
      records.push(get(p, t + between(1000, 4000), media, size));
    }
    if (rand() < 0.1) {
      // The QA application signs a URL; the reviewer's browser plays it (and seeks once) before it expires.
      const signed = Math.floor(workHoursAfter(metaAt, 5 * MIN) / 1000) * 1000;
      const expiresSecs = rand() < 0.5 ? 900 : 3600;
      const browser: Principal = { ...cast.presigner, ip: `203.0.113.${70 + Math.floor(rand() * 20)}` };
      const uses = [signed + between(2000, 60_000)];
      if (rand() < 0.5) uses.push(uses[0]! + between(30_000, (expiresSecs - 120) * 1000));
      for (const used of uses) {
        const query = presignedQuery(new Date(signed), expiresSecs, requestIds(counter + 7).hostId);
        records.push({
          ...base(browser, used, 'REST.GET.OBJECT', media, 'GET', query),
          bytesSent: size,
          objectSize: size,
          authType: 'QueryString',
          referrer: 'https://qa.example-health.org/review',
        });
      }
    }
  }

  const lastUpload = Math.max(dayStart, ...uploaded.map((u) => u.at));
  const readableBy = (t: number): Uploaded[] => uploaded.filter((u) => u.at + MIN <= t);

  // A contractor probing recordings their permission set may not read: every try denied.
  const probeStart = workHoursAfter(Math.min(...uploaded.map((u) => u.at), lastUpload), 30 * MIN);
  for (let i = 0; i < Math.min(5, uploaded.length); i += 1) {
    const t = probeStart + i * between(20_000, 90_000);
    const pool = readableBy(t);
    const target = pool.length > 0 ? pick(pool) : uploaded[0]!;
    records.push({
      ...base(cast.contractor, Math.max(t, target.at + MIN), 'REST.GET.OBJECT', target.media, 'GET'),
      httpStatus: 403,
      errorCode: 'AccessDenied',
      bytesSent: 243,
    });
  }

  // One person reads many recordings: a dozen from the office during the day, then a bulk download
  // at night (03:00 UTC, 23:00 in New York) from an address never seen before.
  const bulk = cast.bulkReader;
  const dayReads = workHoursAfter(Math.min(...uploaded.map((u) => u.at), lastUpload), 15 * MIN);
  let t = dayReads;
  for (let i = 0; i < Math.min(12, uploaded.length); i += 1) {
    t += between(20_000, 240_000);
    const pool = readableBy(t);
    const target = pool.length > 0 ? pick(pool) : uploaded[i]!;
    records.push(get(bulk, Math.max(t, target.at + MIN), target.media, target.size));
  }
  const night = Math.max(dayStart + 27 * HOUR, lastUpload + 10 * MIN);
  const nightly = readableBy(night);
  const atHome: Principal = { ...bulk, ip: cast.bulkIp, userAgent: CLI_UA('linux#6.8.0', 's3.cp') };
  t = night;
  for (const u of nightly.slice(0, Math.min(40, Math.max(1, Math.ceil(nightly.length / 3))))) {
    t += between(3000, 45_000);
    records.push(get(atHome, t, u.media, u.size));
  }

  // A records-management deletion of one recording and its sidecar: the last event of both keys.
  const deleted = uploaded[0];
  if (deleted !== undefined) {
    const keys = new Set([deleted.media, deleted.meta]);
    const last = Math.max(...records.filter((r) => r.key !== undefined && keys.has(r.key)).map((r) => r.time.getTime()));
    const at = last + between(HOUR, 3 * HOUR);
    records.push({ ...base(cast.recordsAdmin, at, 'REST.DELETE.OBJECT', deleted.media, 'DELETE'), httpStatus: 204 });
    records.push({ ...base(cast.recordsAdmin, at + between(2000, 8000), 'REST.DELETE.OBJECT', deleted.meta, 'DELETE'), httpStatus: 204 });
  }

  return { objects: deliver(records, rand), recordsWritten: records.length };
}

/** A SigV4 query-string signature: X-Amz-Date is the signing time, X-Amz-Expires counts from it. */
function presignedQuery(signed: Date, expiresSecs: number, seed: string): string {
  const amzDate = signed.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const signature = Buffer.from(seed, 'base64').toString('hex').padEnd(64, '0').slice(0, 64);
  return `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F${amzDate.slice(0, 8)}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=${amzDate}&X-Amz-Expires=${expiresSecs}&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`;
}

/**
 * S3 delivers a log object every few minutes per writer: records go into ~20-minute windows,
 * delivered 5–40 minutes after the window closes.
 */
function deliver(records: AccessRecord[], rand: () => number): LogObject[] {
  records.sort((a, b) => a.time.getTime() - b.time.getTime());
  const objects: LogObject[] = [];
  let current: { window: number; lines: string[] } | undefined;
  for (const r of records) {
    const window = Math.floor(r.time.getTime() / 1_200_000);
    if (current?.window !== window) {
      if (current) objects.push({ deliveredAt: new Date((current.window + 1) * 1_200_000 + (5 + Math.floor(rand() * 35)) * 60_000), lines: current.lines });
      current = { window, lines: [] };
    }
    current.lines.push(formatAccessRecord(r));
  }
  if (current) objects.push({ deliveredAt: new Date((current.window + 1) * 1_200_000 + 10 * 60_000), lines: current.lines });
  return objects;
}

/** The simple S3 log key format: `<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`. */
export function logObjectKey(prefix: string, deliveredAt: Date, unique: string): string {
  return `${prefix}${formatKeyStamp(deliveredAt.getTime())}-${unique}`;
}
