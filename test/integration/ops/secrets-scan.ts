/**
 * Finds planted secrets in captured log lines, in every form a logger or an HTTP library might
 * write them: as is, percent-encoded, JSON-escaped, base64 (HTTP Basic `user:secret` included)
 * and base64url. Used by the log-redaction tests: run the worker with known secrets, capture its
 * stdout/stderr, and expect no finding.
 */
export interface SecretFinding {
  /** 0-based index into the lines. */
  readonly line: number;
  /** Index into `secrets`; the secret itself is never repeated in a report. */
  readonly secret: number;
  readonly form: 'plain' | 'percent-encoded' | 'json-escaped' | 'base64' | 'base64url' | 'basic-auth';
  /** The line with the secret's occurrence masked, for an assertion message. */
  readonly excerpt: string;
}

function forms(secret: string, users: readonly string[]): [SecretFinding['form'], string][] {
  const out: [SecretFinding['form'], string][] = [
    ['plain', secret],
    ['percent-encoded', encodeURIComponent(secret)],
    ['json-escaped', JSON.stringify(secret).slice(1, -1)],
    ['base64', Buffer.from(secret).toString('base64').replace(/=+$/, '')],
    ['base64url', Buffer.from(secret).toString('base64url')],
  ];
  for (const user of users) out.push(['basic-auth', Buffer.from(`${user}:${secret}`).toString('base64').replace(/=+$/, '')]);
  // Short needles would match by chance; every form of a real secret is long.
  return out.filter(([, needle], i, all) => needle.length >= 6 && all.findIndex(([, n]) => n === needle) === i);
}

export function scanForSecrets(lines: readonly string[], secrets: readonly string[], options: { basicAuthUsers?: readonly string[] } = {}): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const needles = secrets.map((s) => forms(s, options.basicAuthUsers ?? []));
  lines.forEach((text, line) => {
    needles.forEach((secretForms, secret) => {
      for (const [form, needle] of secretForms) {
        if (!text.includes(needle)) continue;
        findings.push({ line, secret, form, excerpt: text.split(needle).join('«secret»').slice(0, 300) });
        break;
      }
    });
  });
  return findings;
}
