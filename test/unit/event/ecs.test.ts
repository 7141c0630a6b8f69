import { describe, expect, it } from 'vitest';
import { extensionOf } from '../../../src/event/ecs.js';

describe('extensionOf (url.extension)', () => {
  it('is the last segment text after its last dot, lowercased', () => {
    expect(extensionOf('org/year=2024/conversation_id=c/rec.opus')).toBe('opus');
    expect(extensionOf('rec.OPUS')).toBe('opus');
    expect(extensionOf('a/b/archive.tar.gz')).toBe('gz');
    expect(extensionOf('rec.opus_metadata.json')).toBe('json');
    expect(extensionOf(`a.${'x'.repeat(16)}`)).toBe('x'.repeat(16));
  });

  it('is absent without one: no dot in the last segment, a leading or trailing dot, too long, not letters or digits', () => {
    expect(extensionOf('noext')).toBeUndefined();
    expect(extensionOf('dir.d/noext')).toBeUndefined();
    expect(extensionOf('a/.hidden')).toBeUndefined();
    expect(extensionOf('.hidden')).toBeUndefined();
    expect(extensionOf('a/b.')).toBeUndefined();
    expect(extensionOf(`a.${'x'.repeat(17)}`)).toBeUndefined();
    expect(extensionOf('a.o-pus')).toBeUndefined();
    expect(extensionOf('résumé.pdé')).toBeUndefined();
    expect(extensionOf('')).toBeUndefined();
  });
});
