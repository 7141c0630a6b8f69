import { describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { actorClassifier, patternRegExp } from '../../../src/enrich/actor.js';
import { buildEvent } from '../../../src/event/build.js';
import type { AccessEvent } from '../../../src/event/types.js';
import { renderLine } from '../../fixtures/render.js';

const ACCT = '123456789012';

function event(requester: string | undefined, self = false): AccessEvent {
  const line = renderLine(
    {
      bucket_owner: 'o',
      bucket: 'recordings',
      remote_ip: '192.0.2.1',
      requester,
      request_id: 'R',
      operation: 'REST.GET.OBJECT',
      key: 'a.opus',
      request_uri: 'GET /a.opus HTTP/1.1',
      http_status: 200,
    },
    '2024-05-14T10:00:00.000Z',
  );
  const r = buildEvent({ number: 1, bytes: Buffer.from(line) }, { logBucket: 'logs', filePath: 'f' });
  if (!r.ok) throw new Error(r.rejection.reason);
  r.doc.event.event.self = self;
  return r.doc.event;
}

describe('actor.kind with the default settings (a Genesys export role, SSO and email-named sessions)', () => {
  const cfg = loadConfigOrThrow({ env: {} });
  const actors = actorClassifier(cfg.SERVICE_PRINCIPALS, cfg.HUMAN_PRINCIPALS);
  it.each([
    [`arn:aws:sts::${ACCT}:assumed-role/genesys-recording-export/GenesysCloud`, 'service'],
    [`arn:aws:sts::${ACCT}:assumed-role/GenesysCloudS3Export/GenesysCloud`, 'service'],
    [`arn:aws:sts::${ACCT}:assumed-role/qa-playback/agent.sofia.moreno@example-health.org`, 'human'],
    [`arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_SecurityAudit_0123456789abcdef/jdoe`, 'human'],
    [`arn:aws:sts::${ACCT}:federated-user/jane@example.org`, 'human'],
    [`arn:aws:sts::${ACCT}:assumed-role/qa-playback/presigner`, 'unknown'],
    [`arn:aws:iam::${ACCT}:user/compliance.reviewer`, 'unknown'],
    [`arn:aws:iam::${ACCT}:root`, 'unknown'],
    ['79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be', 'unknown'],
    ['AmazonS3', 'service'],
    ['svc:delivery.logs.amazonaws.com', 'service'],
    ['arn:aws:iam::cloudfront:user/CloudFront', 'service'],
    [undefined, 'anonymous'],
    ['arn:aws:sts::garbage', 'unknown'],
  ])('%s is %s', (requester, kind) => {
    expect(actors.kindOf(event(requester))).toBe(kind);
  });

  it('event.self wins over every pattern; anonymous stays anonymous', () => {
    expect(actors.kindOf(event(`arn:aws:sts::${ACCT}:assumed-role/recording-audit-task/ecs`, true))).toBe('self');
    expect(actors.kindOf(event(`arn:aws:sts::${ACCT}:assumed-role/genesys-export/x`, true))).toBe('self');
  });
});

describe('actor.kind from configured patterns (the demo principals)', () => {
  const actors = actorClassifier(
    [`arn:aws:sts::*:assumed-role/genesys-recording-export/*`, `arn:aws:sts::*:assumed-role/qa-playback/presigner`],
    [`arn:aws:sts::*:assumed-role/*/*@*`, `arn:aws:iam::${ACCT}:user/*`],
  );
  it.each([
    [`arn:aws:sts::${ACCT}:assumed-role/qa-playback/presigner`, 'service'],
    [`arn:aws:sts::${ACCT}:assumed-role/qa-playback/supervisor.dan.okafor@example-health.org`, 'human'],
    [`arn:aws:iam::${ACCT}:user/contractor-temp`, 'human'],
    [`arn:aws:iam::999999999999:user/contractor-temp`, 'unknown'],
    [`arn:aws:sts::${ACCT}:assumed-role/genesys-recording-export/GenesysCloud`, 'service'],
  ])('%s is %s', (requester, kind) => {
    expect(actors.kindOf(event(requester))).toBe(kind);
  });

  it('service patterns are tried before human ones', () => {
    const both = actorClassifier(['*:assumed-role/bot/*'], ['*@*']);
    expect(both.kindOf(event(`arn:aws:sts::${ACCT}:assumed-role/bot/a@b.org`))).toBe('service');
  });
});

describe('patternRegExp', () => {
  it('* matches anything, including / and :; everything else is literal and case-insensitive', () => {
    const re = patternRegExp(['arn:aws:sts::*:assumed-role/a.b/*'])!;
    expect(re.test('arn:aws:sts::1:assumed-role/a.b/x/y')).toBe(true);
    expect(re.test('ARN:AWS:STS::1:ASSUMED-ROLE/A.B/x')).toBe(true);
    expect(re.test('arn:aws:sts::1:assumed-role/aXb/x')).toBe(false);
    expect(re.test('xarn:aws:sts::1:assumed-role/a.b/x')).toBe(false);
    expect(patternRegExp(['(a+)+$['])).toBeInstanceOf(RegExp);
    expect(patternRegExp([])).toBeUndefined();
  });
});
