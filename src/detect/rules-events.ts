import { z } from 'zod';
import type { AlertDraft } from './alert.js';
import { accessQuery, aggregate, exists, F, groups, range, recordingRead, str, term, terms, type CompositeSource, type Q } from './query.js';
import { HISTORY_BATCH, win, who, draft, collect, type RuleContext } from './rule-kit.js';

/** Rules on single events and their context: a deletion, a reader who was not on the call. */

export async function deletion(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules.deletion;
  const recordingOrSidecar: Q = { bool: { should: [exists(F.recording), exists(F.conversation)], minimum_should_match: 1 } };
  const query = accessQuery(
    [range(ctx.start, ctx.end), terms(F.action, r.actions), term(F.outcome, 'success'), recordingOrSidecar],
    ctx.rules.exemptRequesters,
  );
  const sources: CompositeSource[] = [{ key: { terms: { field: F.key } } }, { requester: { terms: { field: F.requester, missing_bucket: true } } }];
  await collect(
    groups(ctx.client, ctx.index, query, sources, {}),
    (page) =>
      page.map((g) => {
        const requester = str(g.key.requester);
        const key = str(g.key.key) ?? '';
        return {
          filters: [term(F.key, key), requester !== undefined ? term(F.requester, requester) : { bool: { must_not: [exists(F.requester)] } }],
          make: (ids) =>
            draft(
              ids,
              'deletion',
              r.severity,
              win(ctx.start, ctx.end),
              g,
              requester,
              { kind: 'recording', value: key },
              `${who(requester, g)} deleted ${key} (${g.count} delete request(s)).`,
            ),
        };
      }),
    ctx,
    query,
    out,
  );
}

const FiltersSchema = z.object({ buckets: z.record(z.string(), z.object({ doc_count: z.number() })) });

/**
 * A person (actor.genesys_user_id, from the attribution of S3 principals to Genesys users) reading
 * a recording of a conversation whose participants do not include them. Grouped by requester,
 * user and conversation; then, per page, one `filters` aggregation asks which groups have a read
 * whose nested participants name the reader (a field compared with another field of the same
 * document would need a script, which a bare node may not run). Reads of conversations without
 * participants (not resolved) are not judged. Reviewers (QA, compliance) are left out.
 */
export async function notAParticipant(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['not-a-participant'];
  const reviewers = [...new Set(r.reviewers.flatMap((v) => [v, v.toLowerCase()]))];
  // ignore_unmapped: the read alias also holds indices without participants (the Genesys audit events').
  const hasParticipants: Q = { nested: { path: F.participants, query: exists(F.participantUser), ignore_unmapped: true } };
  const query = accessQuery(
    [range(ctx.start, ctx.end), ...recordingRead, term(F.actorKind, 'human'), exists(F.actorUser), exists(F.conversation), hasParticipants],
    ctx.rules.exemptRequesters,
    reviewers.length > 0 ? [terms(F.actorUser, reviewers), terms(F.actorEmail, reviewers), terms(F.requester, reviewers)] : [],
  );
  const sources: CompositeSource[] = [
    { requester: { terms: { field: F.requester } } },
    { user: { terms: { field: F.actorUser } } },
    { conversation: { terms: { field: F.conversation } } },
  ];
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const filters = Object.fromEntries(
        page.map((g, i) => {
          const user = str(g.key.user) ?? '';
          return [
            String(i),
            {
              bool: {
                filter: [
                  term(F.requester, str(g.key.requester) ?? ''),
                  term(F.actorUser, user),
                  term(F.conversation, str(g.key.conversation) ?? ''),
                  { nested: { path: F.participants, query: term(F.participantUser, user), ignore_unmapped: true } },
                ],
              },
            },
          ];
        }),
      );
      const aggs = page.length > 0 ? await aggregate(ctx.client, ctx.index, query, { on: { filters: { filters } } }) : {};
      const on = FiltersSchema.parse(aggs.on ?? { buckets: {} }).buckets;
      return page
        .filter((_, i) => (on[String(i)]?.doc_count ?? 0) === 0)
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          const user = str(g.key.user) ?? '';
          const conversation = str(g.key.conversation) ?? '';
          return {
            filters: [term(F.requester, requester), term(F.actorUser, user), term(F.conversation, conversation)],
            make: (ids) =>
              draft(
                ids,
                'not-a-participant',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'conversation', value: conversation },
                `${who(requester, g)} (Genesys user ${user}) read recordings of conversation ${conversation} ${g.count} time(s) without having taken part in it.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}
