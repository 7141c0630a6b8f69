// Rewrites every generated section of the docs (configuration, metrics, codes) from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { DASHBOARDS_FILE, dashboardsNdjson } from './dashboards.js';
import { GENERATED_SECTIONS, withSection } from './generated-docs.js';

for (const section of GENERATED_SECTIONS) {
  writeFileSync(section.file, withSection(readFileSync(section.file, 'utf8'), section));
  process.stdout.write(`${section.file}: ${section.begin} updated.\n`);
}
writeFileSync(DASHBOARDS_FILE, dashboardsNdjson());
process.stdout.write(`${DASHBOARDS_FILE} updated.\n`);
