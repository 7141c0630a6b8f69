/**
 * `npm run bench -- detect [EVENTS_PER_DAY]`: the cost of each detection rule per day of data.
 * Two synthetic days (the first is history for the look-back rules) are rendered as access log
 * lines, built with buildEvent, enriched from their keys and indexed into a fresh prefix; then each
 * rule alone runs over the second day (24 one-hour windows, dry run) and its time is printed.
 */
import { RULE_IDS } from '../../src/detect/rules.js';
import { runDetect } from '../../src/detect/run.js';
import { indexNameFor } from '../../src/sinks/opensearch/index-name.js';
import { seededRandom } from '../../src/sim/s3-logs/access-log-writer.js';
import { DAY, Fixture, HUMAN, MONDAY, only, recordingKey, SERVICE, type Access } from '../integration/detect/support.js';

const benchUser = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** Recording number of each key the bench wrote, for its conversation's participants. */
const keyNumber = new Map<string, number>();
function keyOf(n: number, sidecar: boolean): string {
  const key = recordingKey(n, sidecar);
  keyNumber.set(key, n);
  return key;
}

export async function bench(args: string[]): Promise<void> {
  const perDay = Number(args[0] ?? 50_000);
  const fx = new Fixture('bench');
  const rnd = seededRandom(42);
  const pick = (n: number): number => Math.floor(rnd() * n);
  try {
    await fx.setup();
    const t0 = performance.now();
    for (let day = 0; day < 2; day++) {
      const base = MONDAY - DAY + day * DAY;
      for (let done = 0; done < perDay;) {
        const batch: Access[] = [];
        for (let i = 0; i < 5000 && done < perDay; i++, done++) {
          const at = base + Math.floor((done / perDay) * DAY);
          const who = pick(300);
          const requester = who < 10 ? SERVICE : HUMAN(`user${who}`);
          const r = rnd();
          batch.push({
            at,
            requester,
            ip: `10.${who % 200}.${pick(3)}.${1 + pick(2)}`,
            key: keyOf(pick(20_000), rnd() < 0.3),
            ...(r < 0.01 ? { status: 403, errorCode: 'AccessDenied' } : r < 0.011 ? { op: 'REST.DELETE.OBJECT' } : {}),
            ...(r > 0.95 ? { presignedKey: `ASIA${String(who).padStart(16, '0')}` } : {}),
          });
        }
        const docs = await fx.events(batch);
        // What attribution and Genesys enrichment add (not-a-participant): each person is a Genesys
        // user, and conversation n was taken by user n % 290 + 10, so almost every read is of a
        // call the reader was not on: the rule's worst case.
        docs.forEach((d, i) => {
          const who = /\/user(\d+)@/.exec(batch[i]!.requester ?? '')?.[1];
          if (who !== undefined && d.event.actor !== undefined) d.event.actor.genesys_user_id = benchUser(Number(who));
          const n = keyNumber.get(batch[i]!.key ?? '');
          if (n !== undefined && d.event.genesys !== undefined) d.event.genesys.participants = [{ user_id: benchUser((n % 290) + 10), purpose: 'agent' }];
        });
        const body = docs.flatMap((d) => [{ create: { _index: indexNameFor(fx.prefix, d.event['@timestamp']), _id: d.id } }, d.event]);
        await fx.client.bulk({ body });
      }
    }
    await fx.client.indices.refresh({ index: `${fx.prefix}-*` });
    process.stdout.write(`indexed ${2 * perDay} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    process.stdout.write(`rule               ms/day (${perDay} events/day, 24 windows)   alerts\n`);
    for (const id of RULE_IDS) {
      const r = await runDetect(
        fx.options({ rules: only(id), mode: { kind: 'range', from: MONDAY, to: MONDAY + DAY }, now: () => MONDAY + 2 * DAY, dryRun: true }),
      );
      process.stdout.write(`${id.padEnd(18)} ${r.ruleMs[id].toFixed(0).padStart(8)}   ${String(r.alerts.length).padStart(30)}\n`);
    }
  } finally {
    await fx.drop();
  }
}
