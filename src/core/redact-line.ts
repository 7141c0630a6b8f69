import { redactCredentials } from './redact-text.js';

/**
 * A raw log line with credential values replaced, byte for byte otherwise. Read as latin1 (one
 * char per byte) so bytes that are not UTF-8 survive unchanged; credential names and delimiters
 * are ASCII, so the match is the same as on the text. Free-text rules apply: a quote ends a value,
 * which is how the quoted Request-URI, Referer and User-Agent fields end.
 */
export function redactRawLine(bytes: Uint8Array): { bytes: Buffer; redacted: boolean } {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const text = buf.toString('latin1');
  const out = redactCredentials(text);
  return out === text ? { bytes: buf, redacted: false } : { bytes: Buffer.from(out, 'latin1'), redacted: true };
}
