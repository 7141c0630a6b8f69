import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../src/enrich/genesys/client.js';
import { normalizeMediaType, type ConversationDetail } from '../../../src/enrich/genesys/models.js';
import { agentUserIds, mediaFromAnalytics, participantsOf } from '../../../src/enrich/resolve.js';

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
