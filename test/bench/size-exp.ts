import { parseArgs } from 'node:util';
import { INDEX_MAPPINGS } from '../../src/event/mapping.js';
import { indexTemplateBody } from '../../src/sinks/opensearch/template.js';
import { createOpenSearchClient } from '../../src/sinks/opensearch/client.js';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { stackSettings, uniqueName, applyStackEnv } from '../support/stack-env.js';
import { buildDocs, load } from './size.js';

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { events: { type: 'string', default: '20000' } } });
  applyStackEnv();
  const docs = await buildDocs(Number(values.events), 7);
  const cfg = loadConfigOrThrow({ env: { ...stackSettings(), INDEX_PREFIX: 'x' } });
  const client = createOpenSearchClient(cfg);
  const t = indexTemplateBody({ ...cfg, INDEX_SHARDS: 1, INDEX_REPLICAS: 0 }, INDEX_MAPPINGS).template;
  const m = JSON.parse(JSON.stringify(t.mappings));
  const walk = (node: any, f: (leaf: any, path: string) => void, path = ''): void => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      const p = path ? `${path}.${k}` : k;
      if ((v as any).properties) walk(v, f, p);
      else f(v, p);
    }
  };
  const variants: Record<string, (s: any, m: any) => void> = {
    product: () => {},
    hashNoIndex: (_s, m) => {
      m.properties.event.properties.hash.index = false;
    },
    participantsObject: (_s, m) => {
      delete m.properties.genesys.properties.participants.type;
    },
    noTextSub: (_s, m) =>
      walk(m, (l) => {
        if (l.fields?.text && l.type === 'keyword' && !l.fields.lower && l.index !== false) delete l.fields.text;
        if (l.fields && Object.keys(l.fields).length === 0) delete l.fields;
      }),
    noDocValuesKw: (_s, m) =>
      walk(m, (l, p) => {
        if (l.type === 'keyword' && !p.startsWith('genesys.participants')) l.doc_values = false;
      }),
    noIndexAll: (_s, m) =>
      walk(m, (l) => {
        if (l.type !== 'alias' && l.type !== 'nested') {
          l.index = false;
        }
      }),
  };
  for (const [name, f] of Object.entries(variants)) {
    const s = JSON.parse(JSON.stringify(t.settings));
    const mm = JSON.parse(JSON.stringify(m));
    f(s, mm);
    const index = `${uniqueName('sx')}-2024.03`;
    const r = await load(client, index, { settings: s, mappings: mm }, docs);
    process.stdout.write(
      `${name.padEnd(20)} ${(r.storeBytes / r.docs).toFixed(0)} B/event  ${r.files
        .filter((f) => f.bytes / r.docs >= 3)
        .map((f) => `${f.ext} ${(f.bytes / r.docs).toFixed(0)}`)
        .join(' ')}\n`,
    );
    await client.transport.request({ method: 'DELETE', path: `/${index}` });
  }
  await client.close();
}
