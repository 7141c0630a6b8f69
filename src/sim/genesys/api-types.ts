/** What a route of the simulator sees of the caller, and what it answers (server.ts writes it). */

export interface Caller {
  readonly clientId: string;
  readonly permissions: readonly string[];
}

export type ApiResult = { status: number; body?: unknown; code?: string; message?: string };
