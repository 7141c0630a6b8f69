import { formatKeyStamp } from '../../sources/log-keys.js';
import { formatAccessRecord, requestIds, seededRandom, type AccessRecord } from './access-log-writer.js';

/** A recording exported by Genesys Cloud into the recordings bucket. */
export interface ExportedRecording {
  readonly orgId: string;
  readonly conversationId: string;
  readonly recordingId: string;
  /** Conversation start: the export partitions by it. */
  readonly start: Date;
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
  /** The UTC day whose accesses are written. */
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

const ENDPOINT = (bucket: string): string => `${bucket}.s3.us-east-1.amazonaws.com`;

/**
 * A realistic day of access to exported recordings: the export role writing media and metadata,
 * agents and supervisors playing recordings through the QA application (some by presigned URL),
 * a few denied requests, one deletion, and recording-audit's own sidecar reads.
 */
export function accessDay(options: ScenarioOptions): { objects: LogObject[]; recordsWritten: number } {
  const rand = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const acct = options.accountId;
  const exporter: Principal = {
    arn: `arn:aws:sts::${acct}:assumed-role/genesys-recording-export/GenesysCloud`,
    ip: '52.4.81.12',
    userAgent: 'aws-sdk-java/2.25.16 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10',
  };
  const qaApp: Principal[] = [
    {
      arn: `arn:aws:sts::${acct}:assumed-role/qa-playback/agent.sofia.moreno@example-health.org`,
      ip: '10.20.4.17',
      userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0 qa-player/4.2',
    },
    {
      arn: `arn:aws:sts::${acct}:assumed-role/qa-playback/supervisor.dan.okafor@example-health.org`,
      ip: '10.20.4.22',
      userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0 qa-player/4.2',
    },
    { arn: `arn:aws:iam::${acct}:user/compliance.reviewer`, ip: '198.51.100.23', userAgent: 'aws-cli/2.17.2 Python/3.11.9 Windows/10 exe/AMD64' },
  ];
  const presigned: Principal = {
    arn: `arn:aws:sts::${acct}:assumed-role/qa-playback/presigner`,
    ip: '203.0.113.77',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  };
  const intruder: Principal = {
    arn: `arn:aws:iam::${acct}:user/contractor-temp`,
    ip: '192.0.2.200',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.5 exe/x86_64',
  };
  const admin: Principal = {
    arn: `arn:aws:iam::${acct}:user/records.admin`,
    ip: '198.51.100.5',
    userAgent: 'aws-cli/2.17.2 Python/3.11.9 Darwin/23.5 exe/arm64',
  };
  const self: Principal = {
    arn: `arn:aws:sts::${acct}:assumed-role/recording-audit-task/ecs`,
    ip: '10.20.9.3',
    userAgent: `aws-sdk-js/3.1175.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0 ${options.selfUserAgentSuffix ?? 'recording-audit'}`,
  };

  const dayStart = Date.UTC(options.day.getUTCFullYear(), options.day.getUTCMonth(), options.day.getUTCDate());
  const at = (): Date => new Date(dayStart + Math.floor(rand() * 86_400) * 1000);
  const records: AccessRecord[] = [];
  let counter = options.seed * 1_000_000;
  const base = (p: Principal, time: Date, op: string, key: string, method: string, query = ''): AccessRecord => {
    counter += 1;
    const ids = requestIds(counter);
    return {
      bucketOwner: options.bucketOwner,
      bucket: options.recordingsBucket,
      time,
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

  for (const rec of options.recordings) {
    const media = recordingKey(rec, 'media');
    const meta = recordingKey(rec, 'metadata');
    const size = 200_000 + Math.floor(rand() * 4_000_000);
    const written = at();
    records.push({ ...base(exporter, written, 'REST.PUT.OBJECT', media, 'PUT'), objectSize: size, bytesSent: 0 });
    records.push({ ...base(exporter, written, 'REST.PUT.OBJECT', meta, 'PUT'), objectSize: 1800 });
    records.push({ ...base(self, new Date(written.getTime() + 90_000), 'REST.GET.OBJECT', meta, 'GET'), bytesSent: 1800, objectSize: 1800 });
    const plays = Math.round((options.playsPerRecording ?? 2) * rand() * 2);
    for (let i = 0; i < plays; i += 1) {
      const p = pick(qaApp);
      records.push({ ...base(p, at(), 'REST.HEAD.OBJECT', media, 'HEAD'), objectSize: size });
      records.push({ ...base(p, at(), 'REST.GET.OBJECT', media, 'GET'), bytesSent: size, objectSize: size });
    }
    if (rand() < 0.1) {
      const t = at();
      const query = `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA4EXAMPLE7Q2BZ6KD%2F${t.toISOString().slice(0, 10).replace(/-/g, '')}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=${t.toISOString().replace(/[-:]|\.\d{3}/g, '')}&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${requestIds(
        counter + 7,
      )
        .hostId.replace(/[^a-f0-9]/gi, '')
        .toLowerCase()
        .slice(0, 64)
        .padEnd(64, '0')}`;
      records.push({
        ...base(presigned, t, 'REST.GET.OBJECT', media, 'GET', query),
        bytesSent: size,
        objectSize: size,
        authType: 'QueryString',
        referrer: 'https://qa.example-health.org/review',
      });
    }
  }
  // A contractor probing recordings they may not read: every attempt denied.
  for (let i = 0; i < Math.min(5, options.recordings.length); i += 1) {
    const rec = pick(options.recordings);
    records.push({ ...base(intruder, at(), 'REST.GET.OBJECT', recordingKey(rec), 'GET'), httpStatus: 403, errorCode: 'AccessDenied', bytesSent: 243 });
  }
  // One deletion under a records-management request.
  const deleted = options.recordings[0];
  if (deleted !== undefined) records.push({ ...base(admin, at(), 'REST.DELETE.OBJECT', recordingKey(deleted), 'DELETE'), httpStatus: 204 });

  records.sort((a, b) => a.time.getTime() - b.time.getTime());
  // S3 delivers a log object every few minutes per writer; group records into ~20-minute windows,
  // delivered 5–40 minutes after the window closes.
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
  return { objects, recordsWritten: records.length };
}

/** The simple S3 log key format: `<prefix>YYYY-mm-DD-HH-MM-SS-<unique>`. */
export function logObjectKey(prefix: string, deliveredAt: Date, unique: string): string {
  return `${prefix}${formatKeyStamp(deliveredAt.getTime())}-${unique}`;
}
