import { formatAccessRecord, requestIds, seededRandom, type AccessRecord } from '../../src/sim/s3-logs/access-log-writer.js';
import { recordingKey } from '../../src/sim/s3-logs/scenario.js';

const OPS: [op: string, method: string, weight: number][] = [
  ['REST.GET.OBJECT', 'GET', 55],
  ['REST.HEAD.OBJECT', 'HEAD', 20],
  ['REST.PUT.OBJECT', 'PUT', 15],
  ['REST.DELETE.OBJECT', 'DELETE', 2],
  ['REST.GET.BUCKET', 'GET', 5],
  ['REST.COPY.OBJECT', 'PUT', 3],
];
const TOTAL = OPS.reduce((n, [, , w]) => n + w, 0);

/**
 * Lines for the end-to-end and replay benchmarks: recording keys in the export layout, a realistic
 * operation mix, some 403s and presigned URLs. Deterministic for a seed; every line is distinct.
 */
export function* corpusLines(count: number, seed: number, keyOf?: (conversation: number, variant: number) => string): Generator<string> {
  const rand = seededRandom(seed);
  const start = Date.UTC(2024, 2, 1);
  for (let i = 0; i < count; i += 1) {
    let pickW = rand() * TOTAL;
    let chosen = OPS[0] ?? ['REST.GET.OBJECT', 'GET', 1];
    for (const op of OPS) {
      pickW -= op[2];
      if (pickW <= 0) {
        chosen = op;
        break;
      }
    }
    const conv = Math.floor(rand() * 20_000);
    const time = new Date(start + Math.floor(rand() * 60 * 86_400) * 1000);
    const key =
      keyOf?.(conv, i % 3) ??
      recordingKey(
        {
          orgId: '3c9a7a2e-1f0b-4a55-9f0e-6c1d2b3a4f50',
          conversationId: `0b1c2d3e-4f50-4a6b-8c7d-${String(conv).padStart(12, '0')}`,
          recordingId: `9f8e7d6c-5b4a-4392-8170-${String(conv * 3 + (i % 3)).padStart(12, '0')}`,
          start: new Date(time.getTime() - 86_400_000),
        },
        rand() < 0.2 ? 'metadata' : 'media',
      );
    const ids = requestIds(seed * 100_000_000 + i);
    const denied = rand() < 0.03;
    const presigned = !denied && chosen[0] === 'REST.GET.OBJECT' && rand() < 0.1;
    const record: AccessRecord = {
      bucketOwner: 'd3f1b7c0e5a24c6f8b9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d',
      bucket: 'example-health-recordings',
      time,
      remoteIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      requester: `arn:aws:sts::123456789012:assumed-role/qa-playback/user${conv % 300}@example-health.org`,
      requestId: ids.requestId,
      operation: chosen[0],
      key,
      method: chosen[1],
      uri: `/${key.replace(/=/g, '%3D')}${presigned ? `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240301T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${ids.requestId.toLowerCase()}${ids.requestId.toLowerCase()}` : ''}`,
      httpStatus: denied ? 403 : chosen[1] === 'DELETE' ? 204 : 200,
      ...(denied
        ? { errorCode: 'AccessDenied', bytesSent: 243 }
        : { bytesSent: chosen[1] === 'GET' ? 1_000_000 + (i % 5_000_000) : 0, objectSize: 1_000_000 + (i % 5_000_000) }),
      totalTimeMs: 10 + (i % 300),
      turnAroundMs: 5 + (i % 40),
      userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux lang/js md/nodejs#20.19.0 qa-player/4.2',
      hostId: ids.hostId,
      signatureVersion: 'SigV4',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      authType: presigned ? 'QueryString' : 'AuthHeader',
      hostHeader: 'example-health-recordings.s3.us-east-1.amazonaws.com',
      tlsVersion: 'TLSv1.3',
      ...(i % 4 === 0 ? {} : { sourceRegion: 'us-east-1' }),
    };
    yield formatAccessRecord(record);
  }
}
