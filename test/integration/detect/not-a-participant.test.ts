import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../../src/event/types.js';
import { indexNameFor } from '../../../src/sinks/opensearch/index-name.js';
import { DAY, Fixture, HOUR, HUMAN, MONDAY, only, recordingKey, type Access } from './support.js';

const T = MONDAY + 10 * HOUR;
const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const CAROL = 'ca401000-0000-4000-8000-000000000003';
const XAVIER = 'fa1e0000-0000-4000-8000-00000000000a';

/** Who the reader is in Genesys and who took part in the conversation, as enrichment would write them. */
interface Crafted extends Access {
  readonly user?: string;
  readonly participants?: readonly string[];
}

describe('rule not-a-participant', () => {
  const fx = new Fixture('nap');
  const ids = new Map<string, string>();

  beforeAll(async () => {
    await fx.setup();
    const crafted: (Crafted & { name: string })[] = [
      // alice on the call: no alert; alice not on the call (twice): one alert
      { name: 'alice-own', at: T, requester: HUMAN('alice'), key: recordingKey(1), user: ALICE, participants: [ALICE, XAVIER] },
      { name: 'alice-other', at: T + 60_000, requester: HUMAN('alice'), key: recordingKey(2), user: ALICE, participants: [XAVIER, CAROL] },
      { name: 'alice-other-2', at: T + 120_000, requester: HUMAN('alice'), key: recordingKey(2, true), user: ALICE, participants: [XAVIER, CAROL] },
      // near misses: a reviewer; a conversation without participants (not resolved); a person
      // without a Genesys user; a refused read; a read outside the window
      { name: 'bob-reviewer', at: T, requester: HUMAN('bob'), key: recordingKey(2), user: BOB, participants: [XAVIER, CAROL] },
      { name: 'carol-unresolved', at: T, requester: HUMAN('carol'), key: recordingKey(3), user: CAROL },
      { name: 'dave-unattributed', at: T, requester: HUMAN('dave'), key: recordingKey(2), participants: [XAVIER, CAROL] },
      {
        name: 'alice-denied',
        at: T,
        requester: HUMAN('alice'),
        key: recordingKey(4),
        status: 403,
        errorCode: 'AccessDenied',
        user: ALICE,
        participants: [XAVIER],
      },
      { name: 'alice-late', at: MONDAY + DAY + HOUR, requester: HUMAN('alice'), key: recordingKey(5), user: ALICE, participants: [XAVIER] },
    ];
    const docs = await fx.events(crafted);
    docs.forEach((d, i) => {
      const c = crafted[i]!;
      const e: AccessEvent = d.event;
      if (c.user !== undefined) e.actor = { ...e.actor!, genesys_user_id: c.user };
      if (c.participants !== undefined) e.genesys = { ...e.genesys, participants: c.participants.map((u) => ({ user_id: u, purpose: 'agent' })) };
      ids.set(c.name, d.id);
    });
    const body = docs.flatMap((d) => [{ create: { _index: indexNameFor(fx.prefix, d.event['@timestamp']), _id: d.id } }, d.event]);
    const res = await fx.client.bulk({ body, refresh: true });
    expect((res.body as { errors: boolean }).errors).toBe(false);
  });
  afterAll(async () => {
    await fx.drop();
  });

  it('fires for a person reading a conversation they took no part in, not for the near misses; a second run adds nothing', async () => {
    const rules = only('not-a-participant', { reviewers: ['BOB@example.com'] });
    const first = await fx.detect(MONDAY, MONDAY + DAY, { rules });
    expect(first.alerts).toHaveLength(1);
    const alert = first.alerts[0]!;
    expect(alert.rule).toEqual({ id: 'not-a-participant', severity: 'medium' });
    expect(alert.actor).toMatchObject({ requester: HUMAN('alice'), kind: 'human', email: 'alice@example.com' });
    expect(alert.subject.kind).toBe('conversation');
    expect(recordingKey(2)).toContain(`conversation_id=${alert.subject.value}/`);
    expect([...alert.evidence.event_ids].sort()).toEqual([ids.get('alice-other')!, ids.get('alice-other-2')!].sort());
    expect(alert.evidence.event_count).toBe(2);
    expect(alert.message).toContain(ALICE);
    expect(first.created).toBe(1);

    const second = await fx.detect(MONDAY, MONDAY + DAY, { rules });
    expect(second.created).toBe(0);
    expect(second.existing).toBe(1);
    expect(await fx.storedAlerts()).toHaveLength(1);
  });

  it('without the reviewer list, the reviewer is flagged too', async () => {
    const result = await fx.detect(MONDAY, MONDAY + DAY, { rules: only('not-a-participant'), dryRun: true });
    expect(result.alerts.map((a) => a.actor.requester).sort()).toEqual([HUMAN('alice'), HUMAN('bob')].sort());
  });
});
