import type { Summary } from './runner.js';
import type { CheckResult } from './types.js';

const LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' } as const;

/**
 * A plain-text table, one row per check; a `fix:` line follows each warn and fail. No colours, no
 * wrapping: it is read in terminals, CI logs and tickets alike.
 */
export function renderTable(results: readonly CheckResult[], summary: Summary): string {
  const header = { status: 'STATUS', group: 'GROUP', check: 'CHECK', detail: 'DETAIL' };
  const groupWidth = Math.max(header.group.length, ...results.map((r) => r.group.length));
  const checkWidth = Math.max(header.check.length, ...results.map((r) => r.check.length));
  const indent = ' '.repeat(6 + 2 + groupWidth + 2 + checkWidth + 2);
  const line = (status: string, group: string, check: string, detail: string): string =>
    `${status.padEnd(6)}  ${group.padEnd(groupWidth)}  ${check.padEnd(checkWidth)}  ${detail}`.trimEnd();
  const out = [line(header.status, header.group, header.check, header.detail)];
  for (const r of results) {
    out.push(line(LABEL[r.status], r.group, r.check, r.detail));
    if (r.fix !== undefined && (r.status === 'fail' || r.status === 'warn')) out.push(`${indent}fix: ${r.fix}`);
  }
  out.push('');
  out.push(`check ${summary.ok ? 'OK' : 'FAILED'}: ${summary.pass} pass, ${summary.warn} warn, ${summary.fail} fail, ${summary.skip} skip`);
  return `${out.join('\n')}\n`;
}

export function renderJson(results: readonly CheckResult[], summary: Summary): string {
  return `${JSON.stringify({ ok: summary.ok, summary: { pass: summary.pass, warn: summary.warn, fail: summary.fail, skip: summary.skip }, results }, null, 2)}\n`;
}
