import type { AgentSpec } from './queries.js';
import type { AccessRow } from './row.js';

/**
 * `query agent` answers "who else listened to this agent's calls": the agent's own reads are left
 * out. S3 logs name an AWS principal and Genesys names a person, and nothing links the two but
 * their spelling, so the rule is deliberately narrow (docs/investigations.md):
 *
 * An access is the agent's own when the requester's session name (or actor.email) is the agent's
 * Genesys user id, or when the local part of the email / the session name, reduced to its letters
 * (lowercase, accents removed), equals the agent's name reduced the same way, as
 * first+…+last, last+first, or first initial + last. Numbers in names and emails are ignored.
 * "ana.silva@", "silva.ana@", "asilva@" and "ana_silva2@" match "Ana Silva"; "supervisor.ana@"
 * and "ana@" do not. When unsure it keeps the access: a missed own-read is noise, a hidden
 * disclosure is not.
 */

/** Letters only, lowercase, accents folded. */
function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/** The name's words: letters only, numbers and punctuation dropped. */
export function nameTokens(name: string): string[] {
  return fold(name)
    .split(/[^\p{L}]+/u)
    .filter((t) => t !== '');
}

/** The spellings of a name a login is commonly made of. */
export function loginForms(name: string): Set<string> {
  const t = nameTokens(name);
  const out = new Set<string>();
  if (t.length < 2) return out;
  const first = t[0]!;
  const last = t[t.length - 1]!;
  out.add(t.join(''));
  out.add(first + last);
  out.add(last + first);
  out.add(first[0]! + last);
  return out;
}

/** The letters of a login: an email's local part or a session name. */
export function loginLetters(login: string): string {
  const at = login.indexOf('@');
  return fold(at < 0 ? login : login.slice(0, at)).replace(/[^\p{L}]+/gu, '');
}

/** The names the asked-for agent has on this row: the name asked for, or the participant names of that user id. */
export function agentNamesOnRow(row: AccessRow, agent: AgentSpec): string[] {
  if (agent.by === 'name') return [agent.name];
  return row.participants.filter((p) => p.userId?.toLowerCase() === agent.userId && p.name !== undefined).map((p) => p.name!);
}

export function isAgentOwnAccess(row: AccessRow, agent: AgentSpec): boolean {
  const logins = [row.actorEmail, row.sessionName].filter((l): l is string => l !== undefined && l !== '');
  if (logins.length === 0) return false;
  if (agent.by === 'user_id' && logins.some((l) => l.toLowerCase() === agent.userId)) return true;
  const forms = new Set(agentNamesOnRow(row, agent).flatMap((n) => [...loginForms(n)]));
  return logins.some((l) => {
    const letters = loginLetters(l);
    return letters !== '' && forms.has(letters);
  });
}
