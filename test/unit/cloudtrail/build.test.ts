import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCloudTrailEnricher } from '../../../src/enrich/cloudtrail.js';
import { buildCloudTrailEvent, canonicalJson, cloudTrailDocumentId, type CloudTrailBuild } from '../../../src/event/cloudtrail-build.js';
import type { CloudTrailEvent } from '../../../src/event/cloudtrail.js';

const sample = (name: string): Record<string, unknown> =>
  (JSON.parse(readFileSync(new URL(`../../fixtures/samples/cloudtrail-s3-${name}.json`, import.meta.url), 'utf8')) as { Records: Record<string, unknown>[] })
    .Records[0]!;

const PATH = 's3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/f.json.gz';
const build = (raw: Record<string, unknown>, audited?: string[], index = 1): CloudTrailBuild =>
  buildCloudTrailEvent(raw, index, { filePath: PATH, audited: audited === undefined ? undefined : new Set(audited) });
const eventOf = (b: CloudTrailBuild): { id: string; event: CloudTrailEvent } => {
  if (b.kind !== 'event') throw new Error(`expected an event, got ${b.kind}: ${JSON.stringify(b)}`);
  return b.doc;
};
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('CloudTrail record to aws.cloudtrail event', () => {
  it('maps the GetObject sample (Root, CLI, TLS 1.2)', () => {
    const raw = sample('getobject');
    const { id, event } = eventOf(build(raw, ['databackup-123456789010'], 3));
    expect(id).toBe(sha('aws.cloudtrail\n7adf0612-f936-4368-bccb-6a2afde40d15'));
    expect(id).toBe(cloudTrailDocumentId('7adf0612-f936-4368-bccb-6a2afde40d15'));
    const { original, ...cloudtrail } = event.aws.cloudtrail;
    expect(original).toBe(canonicalJson(raw));
    expect(JSON.parse(original)).toEqual(raw);
    expect(event.event.hash).toBe(sha(original));
    expect({ ...event, aws: { ...event.aws, cloudtrail } }).toEqual({
      '@timestamp': '2023-03-19T11:00:50.000Z',
      event: {
        kind: 'event',
        dataset: 'aws.cloudtrail',
        module: 'aws',
        provider: 's3.amazonaws.com',
        action: 'GetObject',
        id: 'X3WAD8N3JFZKSY05',
        outcome: 'success',
        category: ['file'],
        type: ['access'],
        hash: event.event.hash,
      },
      ecs: { version: '8.11.0' },
      cloud: { provider: 'aws', region: 'us-east-1' },
      client: { ip: '44.202.147.98' },
      related: { ip: ['44.202.147.98'] },
      user_agent: {
        original: '[aws-cli/2.11.2 Python/3.11.2 Linux/4.14.255-305-242.531.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/s3.cp]',
      },
      tls: { version: '1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256' },
      actor: { kind: 'unknown' },
      aws: {
        principal: { type: 'Root', account_id: '123456789010' },
        s3: { bucket: { name: 'databackup-123456789010' }, object: { key: 'password-backup.txt' } },
        cloudtrail: {
          event_id: '7adf0612-f936-4368-bccb-6a2afde40d15',
          event_version: '1.08',
          event_type: 'AwsApiCall',
          event_category: 'Data',
          read_only: true,
          source_ip_address: '44.202.147.98',
          recipient_account_id: '123456789010',
          authentication_method: 'AuthHeader',
          signature_version: 'SigV4',
          bytes_transferred_in: 0,
          bytes_transferred_out: 91,
          user_identity: {
            type: 'Root',
            principal_id: '123456789010',
            arn: 'arn:aws:iam::123456789010:root',
            account_id: '123456789010',
            access_key_id: 'ASIATAI5Z633WXL7W5UQ',
            user_name: 'ryanryanic',
            mfa_authenticated: false,
          },
        },
      },
      log: { file: { path: PATH }, offset: 3 },
      enrichment: { status: 'not_a_recording' },
    });
  });

  it('maps the PutObject sample (assumed role, presigned, float byte counts)', () => {
    const { event } = eventOf(build(sample('putobject')));
    expect(event.event).toMatchObject({ action: 'PutObject', id: '4RDM0X7KAX9P6Y6Y', outcome: 'success', type: ['creation'] });
    expect(event.aws.principal).toEqual({
      type: 'AssumedRole',
      account_id: '111222333444',
      role_name: 'MyAdminAccess',
      session_name: 'AMSPortalWebsite+P-username',
    });
    expect(event.aws.cloudtrail).toMatchObject({
      authentication_method: 'QueryString',
      bytes_transferred_in: 353,
      bytes_transferred_out: 0,
      user_identity: {
        type: 'AssumedRole',
        access_key_id: 'ABCDEFGHIJKLMNOPQRST',
        mfa_authenticated: false,
        session_issuer: { type: 'Role', arn: 'arn:aws:iam::111222333444:role/MyAdminAccess', account_id: '111222333444', user_name: 'MyAdminAccess' },
      },
    });
    expect(event.aws.s3).toEqual({ bucket: { name: 'testloggingbucket123' }, object: { key: 'testobject.rtf' } });
  });

  it('maps the denied DeleteObject sample (failure, event.code, denied)', () => {
    const { event } = eventOf(build(sample('deleteobject-accessdenied'), ['target-bucket']));
    expect(event.event).toMatchObject({
      action: 'DeleteObject',
      id: 'EXAMPLE7REQID001',
      code: 'AccessDenied',
      outcome: 'failure',
      type: ['deletion', 'denied'],
    });
    expect(event.aws.cloudtrail.error_message).toBe('Access Denied');
    expect(event.aws.principal).toEqual({ type: 'IAMUser', account_id: '012345678901' });
    expect(event.tls).toEqual({ version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  });

  it('keeps a service name in sourceIPAddress raw, without client.ip', () => {
    const { event } = eventOf(build({ ...sample('getobject'), sourceIPAddress: 'athena.amazonaws.com' }));
    expect(event.client).toBeUndefined();
    expect(event.aws.cloudtrail.source_ip_address).toBe('athena.amazonaws.com');
  });

  it('takes bucket and key from resources when requestParameters lack them; an email session name is actor.email', () => {
    const raw = sample('putobject');
    const identity = raw.userIdentity as Record<string, unknown>;
    const { event } = eventOf(
      build({
        ...raw,
        requestParameters: null,
        userIdentity: { ...identity, arn: 'arn:aws:sts::111222333444:assumed-role/Player/jane.doe@example.com' },
      }),
    );
    expect(event.aws.s3).toEqual({ bucket: { name: 'testloggingbucket123' }, object: { key: 'testobject.rtf' } });
    expect(event.actor.email).toBe('jane.doe@example.com');
  });

  it('skips records that are not S3 data events, and S3 events for other buckets', () => {
    expect(build({ ...sample('getobject'), eventSource: 'kms.amazonaws.com' })).toMatchObject({ kind: 'skip', reason: 'not_s3_data_event' });
    expect(build({ eventSource: 'sts.amazonaws.com' })).toMatchObject({ kind: 'skip', reason: 'not_s3_data_event' });
    expect(build(sample('getobject'), ['recordings'])).toMatchObject({ kind: 'skip', reason: 'other_bucket', detail: 'bucket databackup-123456789010' });
  });

  it('refuses S3 records without eventID or requestID, or with a field of the wrong type, whole', () => {
    const { eventID: _e, ...noEvent } = sample('getobject');
    const { requestID: _r, ...noRequest } = sample('getobject');
    const a = build(noEvent);
    expect(a).toMatchObject({ kind: 'refused', reason: 'ct_missing_event_id' });
    expect(a.kind === 'refused' && a.hash).toBe(sha(canonicalJson(noEvent)));
    expect(build(noRequest)).toMatchObject({ kind: 'refused', reason: 'ct_missing_request_id' });
    expect(build({ ...sample('getobject'), eventTime: 'yesterday' })).toMatchObject({
      kind: 'refused',
      reason: 'ct_bad_record',
      detail: 'eventTime: not a time',
    });
    expect(build({ ...sample('getobject'), eventName: 7 })).toMatchObject({ kind: 'refused', reason: 'ct_bad_record' });
  });

  it('hashes the canonical form: key order does not change the hash or the id', () => {
    const raw = sample('getobject');
    const reversed = Object.fromEntries(Object.entries(raw).reverse());
    expect(eventOf(build(reversed)).event.event.hash).toBe(eventOf(build(raw)).event.event.hash);
  });
});

describe('CloudTrail enrichment', () => {
  const cfg = {
    SERVICE_PRINCIPALS: ['arn:aws*:sts::*:assumed-role/*genesys*/*'],
    HUMAN_PRINCIPALS: ['arn:aws*:sts::*:assumed-role/*/*@*.*'],
    SELF_ROLE_ARNS: [],
    SELF_USER_AGENT_SUFFIX: 'recording-audit/1',
    RECORDING_KEY_PATTERNS: [],
  };
  const ORG = '11111111-2222-3333-4444-555555555555';
  const CID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const RID = '99999999-8888-7777-6666-555555555555';
  const KEY = `${ORG}/year=2026/month=1/day=1/hour=1/conversation_id=${CID}/${RID}.opus`;

  it('resolves the key like the access events, and actor.kind by the same settings on the ARN', () => {
    const raw = sample('putobject');
    const identity = raw.userIdentity as Record<string, unknown>;
    const human = eventOf(
      build({
        ...raw,
        requestParameters: { bucketName: 'rec', key: KEY },
        userIdentity: { ...identity, arn: 'arn:aws:sts::111222333444:assumed-role/Player/jane@example.com' },
      }),
    ).event;
    const service = eventOf(build({ ...raw, userIdentity: { ...identity, arn: 'arn:aws:sts::111222333444:assumed-role/genesys-export/GenesysCloud' } })).event;
    const self = eventOf(build({ ...raw, userAgent: 'aws-sdk-js/3 recording-audit/1' })).event;
    createCloudTrailEnricher(cfg).enrich([human, service, self]);
    expect(human.actor).toEqual({ kind: 'human', email: 'jane@example.com' });
    expect(human.genesys).toEqual({
      organization: { id: ORG },
      conversation: { id: CID, start: '2026-01-01T01:00:00.000Z' },
      recording: { id: RID, file: 'media' },
    });
    expect(human.enrichment).toMatchObject({ status: 'partial', reason: 'key_only' });
    expect(service.actor.kind).toBe('service');
    expect(service.enrichment.status).toBe('not_a_recording');
    expect(self.actor.kind).toBe('self');
    expect(self.event.self).toBe(true);
  });
});
