import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleId } from '../../../src/detect/rules.js';
import { DAY, Fixture, HOUR, HUMAN, MONDAY, only, recordingKey, SERVICE, type Access } from './support.js';

/**
 * Each rule on crafted events in the real OpenSearch: the events that must fire it, a near miss
 * beside them that must not, and a second run of the same windows that adds nothing.
 */
interface Case {
  readonly rule: RuleId;
  readonly over?: Record<string, unknown>;
  readonly accesses: (ids: { n: number }) => Access[];
  readonly from: number;
  readonly to: number;
  /** subject values of the alerts expected, sorted */
  readonly subjects: string[];
  readonly check?: (
    alerts: { subject: { value: string }; measure?: { value: number }; evidence: { event_count: number }; actor: { email?: string } }[],
  ) => void;
}

const T = MONDAY + 10 * HOUR;
const reads = (requester: string, n: number, at: number, ip = '10.1.1.1', first = 1): Access[] =>
  Array.from({ length: n }, (_, i) => ({ at: at + i * 60_000, requester, ip, key: recordingKey(first + i) }));

const CASES: Case[] = [
  {
    rule: 'bulk-access',
    over: { threshold: 5, windowSecs: 3600 },
    accesses: () => [
      ...reads(HUMAN('alice'), 6, T),
      // bob: ten reads but of only five recordings (and their sidecars are the same recordings)
      ...reads(HUMAN('bob'), 5, T),
      ...reads(HUMAN('bob'), 5, T + 30 * 60_000),
      { at: T + 50 * 60_000, requester: HUMAN('bob'), key: recordingKey(2, true) },
      // carol: six recordings, but three in each of two windows
      ...reads(HUMAN('carol'), 3, T + 40 * 60_000),
      ...reads(HUMAN('carol'), 3, T + 61 * 60_000, '10.1.1.1', 4),
      // a service reading many is not a person's bulk access
      ...reads(SERVICE, 8, T),
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: [HUMAN('alice')],
    check: (alerts) => expect(alerts[0]!.measure?.value).toBe(6),
  },
  {
    // With a per-actor baseline: over the threshold is not enough when the actor's own busiest
    // hour of the week before was close.
    rule: 'bulk-access',
    over: { threshold: 5, windowSecs: 3600, baseline: { days: 7, multiplier: 1.5 } },
    accesses: () => [
      // judy reads 10 in an hour every so often: 8 today is her usual
      ...reads(HUMAN('judy'), 10, T - 2 * DAY, '10.1.1.1', 100),
      ...reads(HUMAN('judy'), 8, T),
      // kim's busiest hour was 4: 7 today is more than 1.5 times that
      ...reads(HUMAN('kim'), 4, T - 3 * DAY, '10.1.1.1', 200),
      ...reads(HUMAN('kim'), 7, T),
      // leo has no history: the threshold alone decides
      ...reads(HUMAN('leo'), 6, T),
      // more than 7 days back does not count: max has 20 then, 9 today
      ...reads(HUMAN('max'), 20, T - 8 * DAY, '10.1.1.1', 300),
      ...reads(HUMAN('max'), 9, T),
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: [HUMAN('kim'), HUMAN('leo'), HUMAN('max')].sort(),
    check: (alerts) => expect(alerts.find((a) => a.subject.value === HUMAN('kim'))?.measure?.value).toBe(7),
  },
  {
    rule: 'off-hours',
    over: { timeZone: 'America/New_York', businessHours: { start: '09:00', end: '17:00' } },
    accesses: () => [
      // 08:30 in New York (UTC-5 in November)
      { at: MONDAY + 13 * HOUR + 30 * 60_000, requester: HUMAN('dave'), key: recordingKey(1) },
      // 09:00 and 16:59 New York: business hours
      { at: MONDAY + 14 * HOUR, requester: HUMAN('erin'), key: recordingKey(2) },
      { at: MONDAY + 21 * HOUR + 59 * 60_000, requester: HUMAN('erin'), key: recordingKey(3) },
      // a service at night
      { at: MONDAY + 3 * HOUR, requester: SERVICE, key: recordingKey(4) },
      // a refused read at night is no read
      { at: MONDAY + 3 * HOUR, requester: HUMAN('erin'), key: recordingKey(5), status: 403, errorCode: 'AccessDenied' },
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: [HUMAN('dave')],
    check: (alerts) => expect(alerts[0]!.actor.email).toBe('dave@example.com'),
  },
  {
    rule: 'new-source-ip',
    accesses: () => [
      { at: MONDAY - 5 * DAY, requester: HUMAN('frank'), ip: '10.0.0.1' },
      { at: T, requester: HUMAN('frank'), ip: '10.0.0.1' },
      { at: T + 60_000, requester: HUMAN('frank'), ip: '10.0.0.2' },
      // henry's address is known; ivan has no history (new-principal's case, not this rule's)
      { at: MONDAY - 3 * DAY, requester: HUMAN('henry'), ip: '10.0.0.5' },
      { at: T, requester: HUMAN('henry'), ip: '10.0.0.5' },
      { at: T, requester: HUMAN('ivan'), ip: '10.0.0.6' },
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: ['10.0.0.2'],
  },
  {
    rule: 'new-principal',
    accesses: () => [
      { at: MONDAY - 60 * DAY, requester: HUMAN('judy'), op: 'REST.HEAD.OBJECT' },
      { at: T, requester: HUMAN('judy') },
      { at: T + 60_000, requester: HUMAN('kim') },
      { at: T + 120_000, requester: HUMAN('kim'), key: recordingKey(2) },
      // lee is new but reads no recording
      { at: T, requester: HUMAN('lee'), op: 'REST.HEAD.OBJECT' },
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: [HUMAN('kim')],
    check: (alerts) => expect(alerts[0]!.evidence.event_count).toBe(2),
  },
  {
    rule: 'deletion',
    accesses: () => [
      { at: T, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(3) },
      { at: T + 60_000, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(3, true) },
      // not a recording; and a refused delete
      { at: T, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: 'tmp/notes.txt' },
      { at: T, requester: HUMAN('nick'), op: 'REST.DELETE.OBJECT', key: recordingKey(4), status: 403, errorCode: 'AccessDenied' },
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: [recordingKey(3), recordingKey(3, true)].sort(),
  },
  {
    rule: 'denied-burst',
    over: { threshold: 5, windowSecs: 600 },
    accesses: () => {
      const denied = (requester: string | undefined, ip: string, at: number, n: number): Access[] =>
        Array.from({ length: n }, (_, i) => ({
          at: at + i * 1000,
          ...(requester !== undefined ? { requester } : {}),
          ip,
          status: 403,
          errorCode: 'AccessDenied',
        }));
      return [
        ...denied(HUMAN('oscar'), '10.9.9.9', T, 5),
        // peggy: eight, but four in each of two ten-minute windows
        ...denied(HUMAN('peggy'), '10.7.7.7', T + 5 * 60_000, 4),
        ...denied(HUMAN('peggy'), '10.7.7.7', T + 10 * 60_000, 4),
        // anonymous: four from one address
        ...denied(undefined, '10.8.8.8', T, 4),
        // a 404 is no refusal
        ...Array.from({ length: 6 }, (_, i) => ({ at: T + i * 1000, requester: HUMAN('rob'), ip: '10.6.6.6', status: 404, errorCode: 'NoSuchKey' })),
      ];
    },
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: ['10.9.9.9', HUMAN('oscar')].sort(),
  },
  {
    rule: 'presigned-new-ip',
    accesses: () => [
      { at: MONDAY - 2 * DAY, requester: HUMAN('quentin'), ip: '10.0.0.10' },
      { at: T, requester: HUMAN('quentin'), ip: '10.0.0.10', presignedKey: 'ASIAQUENTIN0000000001' },
      { at: T + 60_000, requester: HUMAN('quentin'), ip: '203.0.113.7', presignedKey: 'ASIAQUENTIN0000000001' },
      { at: T + 120_000, requester: HUMAN('quentin'), ip: '203.0.113.7', presignedKey: 'ASIAQUENTIN0000000001' },
    ],
    from: MONDAY,
    to: MONDAY + DAY,
    subjects: ['203.0.113.7'],
    check: (alerts) => expect(alerts[0]!.evidence.event_count).toBe(2),
  },
];

describe.each(CASES)('rule $rule', (c) => {
  const fx = new Fixture(c.rule);
  let ids: string[] = [];
  beforeAll(async () => {
    await fx.setup();
    ids = await fx.ingest(c.accesses({ n: 0 }));
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('fires on the crafted events and not on the near misses; a second run adds nothing', async () => {
    const rules = only(c.rule, c.over);
    const first = await fx.detect(c.from, c.to, { rules });
    const alerts = first.alerts.filter((a) => a.rule.id === c.rule);
    expect(alerts.map((a) => a.subject.value).sort()).toEqual(c.subjects);
    expect(first.alerts).toHaveLength(alerts.length);
    expect(first.created).toBe(alerts.length);
    for (const a of alerts) {
      expect(a.evidence.event_ids.length).toBeGreaterThan(0);
      for (const id of a.evidence.event_ids) expect(ids).toContain(id);
      expect(a.message.length).toBeGreaterThan(10);
    }
    c.check?.(alerts);

    const stored = await fx.storedAlerts();
    expect(stored.map((s) => s.id).sort()).toEqual(alerts.map((a) => a.id).sort());

    const second = await fx.detect(c.from, c.to, { rules });
    expect(second.created).toBe(0);
    expect(second.existing).toBe(alerts.length);
    expect((await fx.storedAlerts()).length).toBe(alerts.length);
  });
});
