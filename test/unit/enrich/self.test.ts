import { describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { requesterPrefixOf, selfRecognizer } from '../../../src/enrich/self.js';
import { accessEventForKey } from '../../../src/sim/genesys/events.js';

const TASK_ROLE = 'arn:aws:iam::123456789012:role/service/recording-audit-task';
const OWN = 'arn:aws:sts::123456789012:assumed-role/recording-audit-task/8f2c0a6e4b1d4c0f9d3e';
const event = (userAgent: string, requester?: string) => accessEventForKey('org/a.opus', { userAgent, ...(requester !== undefined ? { requester } : {}) });

describe('event.self', () => {
  it('maps a role ARN to the requester prefix S3 logs for its sessions', () => {
    expect(requesterPrefixOf(TASK_ROLE)).toBe('arn:aws:sts::123456789012:assumed-role/recording-audit-task/');
    expect(requesterPrefixOf('arn:aws-us-gov:iam::123456789012:role/r')).toBe('arn:aws-us-gov:sts::123456789012:assumed-role/r/');
    expect(requesterPrefixOf('arn:aws:sts::123456789012:assumed-role/r')).toBe('arn:aws:sts::123456789012:assumed-role/r/');
  });

  it('with SELF_ROLE_ARNS, a copied User-Agent suffix from another principal is not self', () => {
    const self = selfRecognizer('recording-audit', [TASK_ROLE]);
    expect(self.checksRequester).toBe(true);
    expect(self.isSelf(event('aws-sdk-js/3 recording-audit', OWN))).toBe(true);
    expect(self.isSelf(event('curl/8 recording-audit', 'arn:aws:sts::123456789012:assumed-role/qa-analyst/jdoe'))).toBe(false);
    // A role whose name only starts like ours.
    expect(self.isSelf(event('curl/8 recording-audit', 'arn:aws:sts::123456789012:assumed-role/recording-audit-task2/x'))).toBe(false);
    expect(self.isSelf(event('curl/8 recording-audit'))).toBe(false);
    expect(self.isSelf(event('aws-sdk-js/3', OWN))).toBe(false);
  });

  it('without SELF_ROLE_ARNS the User-Agent alone decides; an empty suffix marks nothing', () => {
    expect(selfRecognizer('recording-audit', []).isSelf(event('x recording-audit', 'anyone'))).toBe(true);
    expect(selfRecognizer('', []).isSelf(event('x recording-audit', OWN))).toBe(false);
  });

  it('SELF_ROLE_ARNS takes role ARNs and names a bad one', () => {
    const base = { SQS_QUEUE_URL: 'http://127.0.0.1:1/q', LOG_BUCKETS: 'logs', OPENSEARCH_URL: 'http://127.0.0.1:1' };
    expect(loadConfigOrThrow({ env: { ...base, SELF_ROLE_ARNS: TASK_ROLE } }).SELF_ROLE_ARNS).toEqual([TASK_ROLE]);
    expect(() => loadConfigOrThrow({ env: { ...base, SELF_ROLE_ARNS: 'recording-audit-task' } })).toThrow(/SELF_ROLE_ARNS/);
  });
});
