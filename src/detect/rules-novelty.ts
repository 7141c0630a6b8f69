import type { AlertDraft } from './alert.js';
import { accessQuery, seen, exists, F, groups, range, recordingRead, str, term, terms, type CompositeSource, type Group, type Q } from './query.js';
import { DAY_MS, HISTORY_BATCH, iso, win, who, draft, collect, type RuleContext } from './rule-kit.js';

/** Rules that compare with history: an IP, a principal, or a presigned URL's source address not seen before. */

export async function newSourceIp(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['new-source-ip'];
  const query = accessQuery([range(ctx.start, ctx.end), terms(F.actorKind, r.actorKinds), exists(F.requester), exists(F.ip)], ctx.rules.exemptRequesters);
  const sources: CompositeSource[] = [{ requester: { terms: { field: F.requester } } }, { ip: { terms: { field: F.ip } } }];
  const history = accessQuery([range(ctx.start - r.lookbackDays * DAY_MS, ctx.start)], []);
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const requesters = page.map((g) => str(g.key.requester) ?? '');
      const ips = page.map((g) => str(g.key.ip) ?? '');
      const known = await seen(ctx.client, ctx.index, history, { field: F.requester, values: requesters });
      const pairs = await seen(ctx.client, ctx.index, history, { field: F.requester, values: requesters }, { field: F.ip, values: ips });
      // An actor with no history at all is new-principal's, not a new IP of a known actor.
      return page
        .filter((_, i) => known.has(requesters[i]!) && !pairs.has(`${requesters[i]!}\u0000${ips[i]!}`))
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          const ip = str(g.key.ip) ?? '';
          return {
            filters: [term(F.requester, requester), term(F.ip, ip)],
            make: (ids) =>
              draft(
                ids,
                'new-source-ip',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'ip', value: ip },
                `${who(requester, g)} made ${g.count} request(s) from ${ip}, an address not seen for them in the previous ${r.lookbackDays} days.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

export async function newPrincipal(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['new-principal'];
  const query = accessQuery([range(ctx.start, ctx.end), ...recordingRead, exists(F.requester)], ctx.rules.exemptRequesters);
  const before = accessQuery([{ range: { [F.time]: { lt: iso(ctx.start), format: 'strict_date_optional_time' } } }], []);
  await collect(
    groups(ctx.client, ctx.index, query, [{ requester: { terms: { field: F.requester } } }], {
      distinctField: F.recording,
      distinctPrecision: 100,
      pageSize: HISTORY_BATCH,
    }),
    async (page) => {
      const requesters = page.map((g) => str(g.key.requester) ?? '');
      const known = await seen(ctx.client, ctx.index, before, { field: F.requester, values: requesters });
      return page
        .filter((_, i) => !known.has(requesters[i]!))
        .map((g) => {
          const requester = str(g.key.requester) ?? '';
          return {
            filters: [term(F.requester, requester)],
            make: (ids) =>
              draft(
                ids,
                'new-principal',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'principal', value: requester },
                `${who(requester, g)}, never seen before, read ${g.distinct ?? g.count} recording(s).`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}

export async function presignedNewIp(ctx: RuleContext, out: AlertDraft[]): Promise<void> {
  const r = ctx.rules.rules['presigned-new-ip'];
  const query = accessQuery([range(ctx.start, ctx.end), term(F.authType, 'QueryString'), exists(F.ip)], ctx.rules.exemptRequesters);
  const sources: CompositeSource[] = [
    { requester: { terms: { field: F.requester, missing_bucket: true } } },
    { accessKey: { terms: { field: F.accessKey, missing_bucket: true } } },
    { ip: { terms: { field: F.ip } } },
  ];
  const history = accessQuery([range(ctx.start - r.lookbackDays * DAY_MS, ctx.start)], []);
  /** The signer: the access key in the URL and the principal S3 logged as the requester, either. */
  const signerOf = (g: Group): Q[] => {
    const requester = str(g.key.requester);
    const key = str(g.key.accessKey);
    return [...(requester !== undefined ? [term(F.requester, requester)] : []), ...(key !== undefined ? [term(F.accessKey, key)] : [])];
  };
  const exactly = (g: Group): Q[] => {
    const requester = str(g.key.requester);
    const key = str(g.key.accessKey);
    return [
      requester !== undefined ? term(F.requester, requester) : { bool: { must_not: [exists(F.requester)] } },
      key !== undefined ? term(F.accessKey, key) : { bool: { must_not: [exists(F.accessKey)] } },
      term(F.ip, str(g.key.ip) ?? ''),
    ];
  };
  await collect(
    groups(ctx.client, ctx.index, query, sources, { pageSize: HISTORY_BATCH }),
    async (page) => {
      const signed = page.filter((g) => signerOf(g).length > 0);
      const ips = signed.map((g) => str(g.key.ip) ?? '');
      const requesters = signed.map((g) => str(g.key.requester));
      const keys = signed.map((g) => str(g.key.accessKey));
      const defined = (v: (string | undefined)[]): string[] => v.filter((x): x is string => x !== undefined);
      const byRequester = await seen(ctx.client, ctx.index, history, { field: F.requester, values: defined(requesters) }, { field: F.ip, values: ips });
      const byKey = await seen(ctx.client, ctx.index, history, { field: F.accessKey, values: defined(keys) }, { field: F.ip, values: ips });
      const used = (i: number): boolean =>
        (requesters[i] !== undefined && byRequester.has(`${requesters[i]}\u0000${ips[i]!}`)) ||
        (keys[i] !== undefined && byKey.has(`${keys[i]}\u0000${ips[i]!}`));
      return signed
        .filter((_, i) => !used(i))
        .map((g) => {
          const requester = str(g.key.requester);
          const key = str(g.key.accessKey);
          const ip = str(g.key.ip) ?? '';
          const signer = key !== undefined ? `access key ${key}${requester !== undefined ? ` (${g.email ?? requester})` : ''}` : (g.email ?? requester ?? '');
          return {
            filters: exactly(g),
            make: (ids) =>
              draft(
                ids,
                'presigned-new-ip',
                r.severity,
                win(ctx.start, ctx.end),
                g,
                requester,
                { kind: 'ip', value: ip },
                `A presigned URL of ${signer} was used ${g.count} time(s) from ${ip}, an address its signer did not use in the previous ${r.lookbackDays} days.`,
              ),
          };
        });
    },
    ctx,
    query,
    out,
  );
}
