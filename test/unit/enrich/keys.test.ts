import { describe, expect, it } from 'vitest';
import { createKeyResolver, eventObjectKey, partitionStart } from '../../../src/enrich/keys.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';

const ORG = '5d1b9c7e-1111-4a2b-8c3d-0123456789ab';
const CID = 'ea4303d8-014e-44f9-b770-5b15e6f86f1f';
const RID = '0261adc0-0618-4652-ac76-de176e1c431c';

describe('recording key patterns', () => {
  const resolver = createKeyResolver();

  it('reads the bulk-export layout, unpadded partitions', () => {
    const m = resolver.resolve(`${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${RID}.opus`);
    expect(m).toEqual({
      layout: 'genesys-export',
      orgId: ORG,
      conversationId: CID,
      recordingId: RID,
      ext: 'opus',
      file: 'media',
      conversationStart: '2024-05-02T03:00:00.000Z',
      sidecarKey: `${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${RID}.opus_metadata.json`,
    });
  });

  it('reads padded partitions, %3D-encoded equals signs and upper-case ids', () => {
    const key = `${ORG.toUpperCase()}/year%3D2024/month%3D05/day%3D02/hour%3D23/conversation_id%3D${CID}/${RID.toUpperCase()}.OPUS`;
    const m = resolver.resolve(key);
    expect(m?.orgId).toBe(ORG);
    expect(m?.recordingId).toBe(RID);
    expect(m?.ext).toBe('opus');
    expect(m?.conversationStart).toBe('2024-05-02T23:00:00.000Z');
  });

  it('reads the metadata partner `{rid}.{ext}_metadata.json`, which is its own sidecar', () => {
    const key = `${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${RID}.opus_metadata.json`;
    const m = resolver.resolve(key);
    expect(m).toMatchObject({ layout: 'genesys-export', recordingId: RID, ext: 'opus', file: 'metadata', sidecarKey: key });
  });

  it('tolerates a prefix before the organization id', () => {
    expect(resolver.resolve(`exports/genesys/${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${RID}.opus`)?.recordingId).toBe(RID);
  });

  it('attributes other files of an exported conversation folder to the conversation', () => {
    const m = resolver.resolve(`${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${CID}.opus_call_metadata.json`);
    expect(m).toMatchObject({ layout: 'genesys-export-conversation-file', conversationId: CID, file: 'metadata' });
    expect(m?.recordingId).toBeUndefined();
  });

  it('reads recording-id-only keys without claiming a conversation start', () => {
    const m = resolver.resolve(`recordings/2023/10/25/${RID}.mp3`);
    expect(m).toMatchObject({
      layout: 'recording-id-only',
      recordingId: RID,
      ext: 'mp3',
      file: 'media',
      sidecarKey: `recordings/2023/10/25/${RID}.mp3_metadata.json`,
    });
    expect(m?.conversationId).toBeUndefined();
    expect(m?.conversationStart).toBeUndefined();
  });

  it('leaves other keys unmatched', () => {
    for (const key of [
      'logs/2024-05-02-00-00-00-ABC',
      `${ORG}/year=2024/month=5/day=2/conversation_id=${CID}/${RID}.opus`,
      `recordings/2023/10/25/not-a-uuid.mp3`,
      '',
    ]) {
      expect(resolver.resolve(key)).toBeUndefined();
    }
  });

  it('keeps an impossible partition date out of conversation.start', () => {
    expect(resolver.resolve(`${ORG}/year=2024/month=2/day=31/hour=3/conversation_id=${CID}/${RID}.opus`)?.conversationStart).toBeUndefined();
    expect(partitionStart('2024', '13', '1', '0')).toBeUndefined();
    expect(partitionStart('2024', '2', '29', '24')).toBeUndefined();
    expect(partitionStart('2024', '2', '29', '0')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('tries configured patterns first, with the same named groups', () => {
    const custom = createKeyResolver([
      `^calls/(?<org>[^/]+)/(?<year>\\d{4})-(?<month>\\d{2})-(?<day>\\d{2})T(?<hour>\\d{2})/(?<cid>[0-9a-f-]{36})/(?<rid>[0-9a-f-]{36})\\.(?<ext>\\w+)$`,
    ]);
    const m = custom.resolve(`calls/acme/2024-05-02T07/${CID}/${RID}.wav`);
    expect(m).toMatchObject({
      layout: 'custom:1',
      orgId: 'acme',
      conversationId: CID,
      recordingId: RID,
      ext: 'wav',
      conversationStart: '2024-05-02T07:00:00.000Z',
    });
    expect(custom.resolve(`recordings/2023/10/25/${RID}.mp3`)?.layout).toBe('recording-id-only');
  });
});

describe('eventObjectKey', () => {
  it('prefers the decoded key and falls back to decoding the raw log key', () => {
    const key = `${ORG}/year=2024/month=5/day=2/hour=3/conversation_id=${CID}/${RID}.opus`;
    const event = accessEventForKey(key);
    expect(eventObjectKey(event)).toBe(key);
    delete event.aws.s3.object.key;
    expect(event.aws.s3access.key).toContain('%3D');
    expect(eventObjectKey(event)).toBe(key);
    event.aws.s3access.key = 'bad%E0%A4%A';
    expect(eventObjectKey(event)).toBe('bad%E0%A4%A');
  });
});
