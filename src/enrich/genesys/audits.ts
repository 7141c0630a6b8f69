// Contract placeholder: helper A's file replaces this at merge (same names and shapes).
import type { GenesysClient } from './client.js';

export type AuditApi = 'quality' | 'audits';
export interface AuditMessage {
  readonly api: AuditApi;
  readonly id: string;
  readonly eventDate: string;
  readonly serviceName?: string;
  readonly entityType?: string;
  readonly action?: string;
  readonly level?: string;
  readonly status?: string;
  readonly user?: { readonly id: string; readonly name?: string };
  readonly clientId?: string;
  readonly remoteIps: readonly string[];
  readonly entity?: { readonly id: string; readonly name?: string };
  readonly context: Readonly<Record<string, string>>;
  readonly application?: string;
  readonly propertyChanges: readonly { readonly property?: string; readonly oldValues: readonly string[]; readonly newValues: readonly string[] }[];
  readonly raw: Readonly<Record<string, unknown>>;
}
export interface RejectedAuditMessage {
  readonly reason: string;
  readonly raw: unknown;
}
export interface AuditPage {
  readonly transactionId: string;
  readonly messages: readonly AuditMessage[];
  readonly rejected: readonly RejectedAuditMessage[];
  readonly pageNumber: number;
}
export interface AuditQuerySpec {
  readonly api: AuditApi;
  readonly from: string;
  readonly to: string;
  readonly serviceName?: string;
  readonly filters: readonly { readonly property: string; readonly value: string }[];
}
export interface AuditFetchOptions {
  readonly signal: AbortSignal;
  readonly pollIntervalMs?: number;
  readonly maxWaitMs?: number;
  readonly pageSize?: number;
}
export declare function fetchAudits(client: GenesysClient, spec: AuditQuerySpec, opts: AuditFetchOptions): AsyncGenerator<AuditPage>;
export declare const AUDIT_MAX_INTERVAL_MS: number;
export declare function fetchServiceMapping(client: GenesysClient, opts: { signal: AbortSignal }): Promise<{ services: { name: string; entities: { name: string; actions: string[] }[] }[] }>;
