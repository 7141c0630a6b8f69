import { readAliasOf } from '../../config/schema.js';
import { GENESYS_AUDIT_MAPPINGS, GENESYS_AUDIT_MAPPING_REVISION } from '../../event/genesys-audit.js';
import { INDEX_MAPPINGS, MAPPING_REVISION } from '../../event/mapping.js';
import { genesysAuditPrefix } from './index-name.js';
import { TEMPLATE_PRIORITY, type IndexMappings, type TemplateSettings } from './template.js';

/**
 * The datasets that share the read alias, each with its own monthly indices, template and mapping:
 * the S3 access events (`<prefix>-YYYY.MM`) and the Genesys audit events (`<prefix>.genesys-YYYY.MM`).
 * `setup` installs a template per family and the worker verifies each.
 */
export interface IndexFamily {
  readonly dataset: 'aws.s3access' | 'genesys.audit';
  /** Template name and index prefix of the family. */
  readonly settings: TemplateSettings;
  readonly mappings: IndexMappings;
  readonly revision: number;
}

export function indexFamilies(cfg: TemplateSettings): IndexFamily[] {
  const alias = readAliasOf(cfg);
  return [
    { dataset: 'aws.s3access', settings: { ...cfg, INDEX_ALIAS: alias }, mappings: INDEX_MAPPINGS, revision: MAPPING_REVISION },
    {
      dataset: 'genesys.audit',
      // Above the access events' templates: `<other prefix>-*` of a prefix this one extends
      // (recording-access-* for recording-access-x.genesys-*) must not tie with it.
      settings: { ...cfg, INDEX_PREFIX: genesysAuditPrefix(cfg.INDEX_PREFIX), INDEX_ALIAS: alias, templatePriority: TEMPLATE_PRIORITY + 10 },
      mappings: GENESYS_AUDIT_MAPPINGS,
      revision: GENESYS_AUDIT_MAPPING_REVISION,
    },
  ];
}
