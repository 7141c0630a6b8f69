import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/enrich/genesys/circuit.js';

/** The breaker only reads the time; a number the test moves is clock enough. */
function at(start = 1_000_000): { now: () => number; move: (ms: number) => void } {
  let now = start;
  return { now: () => now, move: (ms) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after `threshold` failures in a row, for two seconds, then lets calls through again', () => {
    const clock = at();
    const circuit = new CircuitBreaker(3, clock);
    expect(circuit.failure()).toBeUndefined();
    expect(circuit.failure()).toBeUndefined();
    expect(circuit.isOpen()).toBe(false);
    expect(circuit.failure()).toBe(2_000);
    expect(circuit.isOpen()).toBe(true);
    expect(circuit.openUntil).toBe(clock.now() + 2_000);
    clock.move(1_999);
    expect(circuit.isOpen()).toBe(true);
    clock.move(1);
    expect(circuit.isOpen()).toBe(false);
  });

  it('counts only failures in a row: an answer in between starts the count again', () => {
    const circuit = new CircuitBreaker(2, at());
    circuit.failure();
    expect(circuit.success()).toBe(false);
    expect(circuit.failure()).toBeUndefined();
    expect(circuit.isOpen()).toBe(false);
  });

  it('does not stretch an open pause with failures of calls already on their way', () => {
    const clock = at();
    const circuit = new CircuitBreaker(1, clock);
    circuit.failure();
    const until = circuit.openUntil;
    clock.move(500);
    expect(circuit.failure()).toBeUndefined();
    expect(circuit.openUntil).toBe(until);
  });

  it('doubles the pause each time it opens again without an answer, up to a minute; an answer resets it', () => {
    const clock = at();
    const circuit = new CircuitBreaker(1, clock);
    const pauses: number[] = [];
    for (let i = 0; i < 7; i++) {
      pauses.push(circuit.failure()!);
      clock.move(pauses.at(-1)!);
    }
    expect(pauses).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    expect(circuit.success()).toBe(true);
    expect(circuit.openUntil).toBe(0);
    expect(circuit.failure()).toBe(2_000);
  });

  it('opens at once on demand (bad credentials), whatever the count', () => {
    const clock = at();
    const circuit = new CircuitBreaker(5, clock);
    expect(circuit.open()).toBe(2_000);
    expect(circuit.isOpen()).toBe(true);
    clock.move(2_000);
    expect(circuit.open()).toBe(4_000);
    expect(circuit.success()).toBe(true);
    expect(circuit.success()).toBe(false);
  });
});
