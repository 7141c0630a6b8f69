import type { AccessRow } from '../../../src/investigate/row.js';

/** A row as parseHit makes it; tests of pure output code override what they look at. */
export function row(over: Partial<AccessRow> = {}): AccessRow {
  return {
    id: 'd'.repeat(64),
    index: 'recording-access-2024.05',
    timestamp: '2024-05-14T08:30:00.000Z',
    actorKind: 'human',
    actorEmail: 'ana.silva@example.org',
    requester: 'arn:aws:sts::123456789012:assumed-role/Reviewer/ana.silva@example.org',
    principalType: 'AssumedRole',
    accountId: '123456789012',
    roleName: 'Reviewer',
    sessionName: 'ana.silva@example.org',
    self: false,
    operation: 'REST.GET.OBJECT',
    access: 'read',
    outcome: 'success',
    httpStatus: 200,
    sourceIp: '192.0.2.10',
    bucket: 'recordings',
    key: 'org/conversation_id=c/r.opus',
    bytesSent: 1000,
    userAgent: 'Mozilla/5.0',
    presigned: false,
    conversationId: 'c-1',
    recordingId: 'r-1',
    recordingFile: 'media',
    agentUserIds: ['u-1'],
    participants: [{ userId: 'u-1', name: 'Bruno Díaz', purpose: 'agent' }, { purpose: 'customer' }],
    enrichmentStatus: 'resolved',
    logFile: 's3://logs/access-logs/2024-05-14-09-00-00-ABC',
    logLine: 7,
    hash: 'h'.repeat(64),
    parserVersion: 4,
    ...over,
  };
}
