// The OpenSearch security roles shipped in config/opensearch/roles/, read as the security plugin
// reads them: action groups expanded, `*` as a wildcard. The local node runs without the security
// plugin, so the tests check the documents themselves and what the worker actually sends.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'opensearch', 'roles');

export interface IndexPermission {
  readonly index_patterns: readonly string[];
  readonly allowed_actions: readonly string[];
  readonly dls?: string;
  readonly fls?: readonly string[];
  readonly masked_fields?: readonly string[];
}

export interface RoleDocument {
  readonly description?: string;
  readonly cluster_permissions: readonly string[];
  readonly index_permissions: readonly IndexPermission[];
  readonly tenant_permissions: readonly unknown[];
}

export function loadRoles(): Map<string, RoleDocument> {
  const roles = new Map<string, RoleDocument>();
  for (const file of readdirSync(ROLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    roles.set(file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(ROLES_DIR, file), 'utf8')) as RoleDocument);
  }
  return roles;
}

/**
 * The security plugin's static action groups that the shipped roles use (its
 * static_action_groups.yml). A role naming a group not listed here fails the tests: every
 * permission must be known to be judged.
 */
export const ACTION_GROUPS: Readonly<Record<string, readonly string[]>> = {
  cluster_monitor: ['cluster:monitor/*'],
  cluster_composite_ops_ro: [
    'indices:data/read/mget',
    'indices:data/read/msearch',
    'indices:data/read/mtv',
    'indices:admin/aliases/exists*',
    'indices:admin/aliases/get*',
    'indices:data/read/scroll',
    'indices:admin/resolve/index',
  ],
  read: ['indices:data/read*', 'indices:admin/mappings/fields/get*', 'indices:admin/resolve/index'],
};

/** Every permission pattern after expanding action groups; throws on an unknown group. */
export function expand(permissions: readonly string[]): string[] {
  return permissions.flatMap((p) => {
    if (p.includes(':')) return [p];
    const group = ACTION_GROUPS[p];
    if (group === undefined) throw new Error(`unknown action group ${p}`);
    return [...group];
  });
}

/** The plugin's wildcard match: `*` any run of characters, `?` one. */
export function matches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** Whether the role grants `action`, as a cluster permission or on `index` (index-level actions). */
export function grants(role: RoleDocument, action: string, index?: string): boolean {
  if (index === undefined) return expand(role.cluster_permissions).some((p) => matches(p, action));
  return role.index_permissions.some(
    (ip) => ip.index_patterns.some((pat) => matches(pat, index)) && expand(ip.allowed_actions).some((p) => matches(p, action)),
  );
}

/** Every action pattern a role holds anywhere (cluster and index level), expanded. */
export function allActions(role: RoleDocument): string[] {
  return [...expand(role.cluster_permissions), ...role.index_permissions.flatMap((ip) => expand(ip.allowed_actions))];
}
