/**
 * Query parameters whose values are credentials. Matched case-insensitively, also when the name
 * itself is percent-encoded (X-Amz-Signature → X%2DAmz%2DSignature is legal and seen in logs).
 */
export const CREDENTIAL_PARAMS = [
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'signature',
  'awsaccesskeyid',
  'x-amz-s3session-token',
  'access_token',
  'client_secret',
  'password',
] as const;

const encodedName = (name: string): string =>
  [...name]
    .map((ch) => {
      const hex = ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');
      const literal = /[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : `\\${ch}`;
      return `(?:${literal}|%${hex[0]}[${hex[1]?.toLowerCase()}${hex[1]}])`;
    })
    .join('');

// name, then `=` or its encoding %3D, then the value up to the next separator (& ; space quote,
// or their percent encodings %26 / %20).
const PARAM_RE = new RegExp(
  `((?:^|[?&;\\s"']|%26|%3[fF])(?:${CREDENTIAL_PARAMS.map(encodedName).join('|')})(?:=|%3[dD]))((?:(?!%26|%20)[^&;\\s"'#])*)`,
  'g',
);

export const REDACTED = '[redacted]';

/** Replaces credential values in any text (URLs, messages); names and structure are kept. */
export function redactSecretsInText(text: string): string {
  if (!/(?:sig|cred|token|key|secret|password)/i.test(text) && !/%[0-9a-f]{2}/i.test(text)) return text;
  return text.replace(PARAM_RE, (_m, prefix: string, value: string) => (value === '' ? prefix : `${prefix}${REDACTED}`));
}
