import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../src/enrich/genesys/client.js';
import { normalizeMediaType, type ConversationDetail } from '../../../src/enrich/genesys/models.js';
import { createKeyResolver } from '../../../src/enrich/keys.js';
import { agentUserIds, mediaFromAnalytics, participantsOf, resolveFromKey, resolveRecording } from '../../../src/enrich/resolve.js';

const detail: ConversationDetail = {
  conversationId: 'c',
  participants: [
    { purpose: 'customer', participantName: 'tel:+15550001', sessions: [{ mediaType: 'voice', recording: true }] },
    { purpose: 'ivr', participantName: 'Main IVR' },
    { purpose: 'agent', userId: 'U-1', participantName: 'Jane Agent', screenRecording: true, sessions: [{ mediaType: 'voice', recording: true }] },
    { purpose: 'agent', userId: 'u-1', participantName: 'Jane Agent' },
  ],
};

describe('participantsOf', () => {
  it('keeps names of Genesys users only, never a customer participantName, and dedupes', () => {
    expect(participantsOf(detail)).toEqual([
      { purpose: 'customer' },
      { purpose: 'ivr' },
      { user_id: 'u-1', name: 'Jane Agent', name_folded: 'jane agent', purpose: 'agent' },
    ]);
  });
});

describe('agentUserIds', () => {
  it('is the users whose purpose is agent or user, plus the sidecar users, without repeats', () => {
    const participants = [
      { purpose: 'customer' },
      { user_id: 'u-agent', name: 'Ana', purpose: 'agent' },
      { user_id: 'u-direct', name: 'Bo', purpose: 'User' },
      { user_id: 'u-voicemail', purpose: 'voicemail' },
      { user_id: 'u-workflow', purpose: 'workflow' },
      { user_id: 'u-nopurpose' },
      { purpose: 'agent' },
    ];
    expect(agentUserIds(participants, ['U-SIDECAR', 'u-agent'])).toEqual(['u-agent', 'u-direct', 'u-sidecar']);
    // A sidecar's user counts whatever Genesys says of their purpose: the recording is theirs.
    expect(agentUserIds([{ user_id: 'u-voicemail', purpose: 'voicemail' }], ['u-voicemail'])).toEqual(['u-voicemail']);
    expect(agentUserIds(participantsOf(detail), [])).toEqual(['u-1']);
    expect(agentUserIds([], [])).toEqual([]);
  });
});

describe('mediaFromAnalytics', () => {
  it('narrows recorded media kinds by the file extension', () => {
    expect(mediaFromAnalytics(detail, 'opus')).toBe('audio');
    expect(mediaFromAnalytics(detail, 'webm')).toBe('screen');
    expect(mediaFromAnalytics(detail, undefined)).toBeUndefined();
    expect(mediaFromAnalytics({ conversationId: 'c', participants: [{ sessions: [{ mediaType: 'chat', recording: true }] }] }, undefined)).toBe('chat');
    expect(mediaFromAnalytics(undefined, 'opus')).toBe('audio');
    expect(mediaFromAnalytics(undefined, 'json')).toBeUndefined();
  });

  it('speaks one media vocabulary whatever the source', () => {
    expect(['voice', 'Call', 'audio', 'Screen', 'screenshare', 'Message', 'email'].map(normalizeMediaType)).toEqual([
      'audio',
      'audio',
      'audio',
      'screen',
      'screen',
      'messaging',
      'email',
    ]);
  });
});

describe('retryAfterMs', () => {
  const res = (headers: Record<string, string>, body: unknown = {}) => ({ status: 429, headers, body });
  it('reads delta seconds, an HTTP date, or the [n] seconds of the Genesys message', () => {
    expect(retryAfterMs(res({ 'retry-after': '7' }))).toBe(7000);
    expect(retryAfterMs(res({ 'retry-after': new Date(10_000 + 3000).toUTCString() }), 10_000)).toBeLessThanOrEqual(3000);
    expect(
      retryAfterMs(res({}, { message: 'Rate limit exceeded the maximum. Retry the request in [42] seconds', code: 'too.many.requests.retry.after' })),
    ).toBe(42_000);
    expect(retryAfterMs(res({}))).toBeUndefined();
  });
});

describe('resolveFromKey', () => {
  it('gives what resolveRecording gives keys-only without a sidecar, in the same field order', async () => {
    const resolver = createKeyResolver();
    const org = '3c9a7a2e-1f0b-4a55-9f0e-6c1d2b3a4f50';
    const cid = '0b1c2d3e-4f50-4a6b-8c7d-000000000042';
    const rid = '9f8e7d6c-5b4a-4392-8170-000000000126';
    const keys = [
      `${org}/year=2024/month=5/day=2/hour=3/conversation_id=${cid}/${rid}.opus`,
      `${org}/year=2024/month=5/day=2/hour=3/conversation_id=${cid}/${rid}.opus_metadata.json`,
    ];
    const ctx = { genesys: undefined, sidecars: undefined, recordingMetadata: 'never' as const };
    for (const key of keys) {
      const match = resolver.resolve(key);
      expect(match).toBeDefined();
      const slow = await resolveRecording(match!, undefined, ctx, { deadline: Date.now() + 1000 });
      const quick = resolveFromKey(match!);
      expect(quick).toEqual(slow);
      expect(JSON.stringify(quick)).toBe(JSON.stringify(slow));
    }
  });
});
