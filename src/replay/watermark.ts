/** A listed object's place in the replay order: (key time, key). */
export interface Position {
  readonly keyTimeMs: number;
  readonly key: string;
}

export interface FailedObject extends Position {
  readonly code: string;
  readonly message: string;
  readonly attempts: number;
}

/** What a checkpoint needs to resume: everything at or below the watermark, and doneAbove, is finished. */
export interface Progress {
  readonly watermark: Position | null;
  readonly doneAbove: readonly Position[];
  /** Settled as failures: the watermark moves past them, and the next run tries them again. */
  readonly failed: readonly FailedObject[];
}

export function comparePositions(a: Position, b: Position): number {
  if (a.keyTimeMs !== b.keyTimeMs) return a.keyTimeMs - b.keyTimeMs;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

interface Slot {
  readonly pos: Position;
  state: 'pending' | 'done';
}

/**
 * Low watermark over objects that finish out of order. Objects enter in listing order; the
 * watermark is the last position of the longest finished run from the start. Finished objects above
 * it are kept by key, and the dispatcher bounds how many there can be (see `outstanding`).
 *
 * An object that failed for good is settled (the watermark moves past it, so one bad object cannot
 * stall a backfill) and is remembered in `failed`; a resumed run lists it again and retries it. An
 * object abandoned at shutdown stays pending, holding the watermark below it.
 */
export class WatermarkTracker {
  private watermark: Position | null;
  /** Keys finished by an earlier run above the watermark (by key). */
  private readonly priorDone = new Map<string, Position>();
  private readonly failed = new Map<string, FailedObject>();
  private readonly slots: Slot[] = [];
  private head = 0;
  private readonly byKey = new Map<string, Slot>();
  private readonly retrying = new Set<string>();
  private last: Position | null;

  constructor(initial?: Progress) {
    this.watermark = initial?.watermark ?? null;
    this.last = this.watermark;
    for (const p of initial?.doneAbove ?? []) this.priorDone.set(p.key, p);
    for (const f of initial?.failed ?? []) this.failed.set(f.key, f);
  }

  /** True when an earlier run finished this object (a failed one is not finished: it is retried). */
  isSettled(pos: Position): boolean {
    if (this.failed.has(pos.key)) return false;
    if (this.belowWatermark(pos)) return true;
    return this.priorDone.has(pos.key);
  }

  private belowWatermark(pos: Position): boolean {
    return this.watermark !== null && comparePositions(pos, this.watermark) <= 0;
  }

  /** Enters an object that an earlier run finished, so the watermark can pass it. */
  skip(pos: Position): void {
    if (this.belowWatermark(pos)) return;
    this.enter(pos, 'done');
    this.advance();
  }

  /** An object is about to be worked on. */
  begin(pos: Position): void {
    if (this.belowWatermark(pos)) {
      // A retry of an earlier failure: the watermark is already past it.
      this.retrying.add(pos.key);
      return;
    }
    this.enter(pos, 'pending');
  }

  /** The object is accounted for; with `failure`, it failed for good in this run. */
  finish(pos: Position, failure?: Omit<FailedObject, keyof Position>): void {
    const slot = this.byKey.get(pos.key);
    if (slot) slot.state = 'done';
    else if (!this.retrying.delete(pos.key)) throw new Error(`finish of an object that never began: ${pos.key}`);
    if (failure) this.failed.set(pos.key, { keyTimeMs: pos.keyTimeMs, key: pos.key, ...failure });
    else this.failed.delete(pos.key);
    this.advance();
  }

  /** Shutdown stopped the object: it stays pending (or failed, for a retry) for the next run. */
  abandon(pos: Position): void {
    this.retrying.delete(pos.key);
  }

  /** Entered objects not yet below the watermark (pending, or finished above it). */
  get outstanding(): number {
    return this.slots.length - this.head;
  }

  get failedCount(): number {
    return this.failed.size;
  }

  get failures(): readonly FailedObject[] {
    return [...this.failed.values()].sort(comparePositions);
  }

  get current(): Position | null {
    return this.watermark;
  }

  snapshot(): Progress {
    const above = new Map<string, Position>();
    for (const [key, p] of this.priorDone) {
      if (!this.belowWatermark(p) && !this.failed.has(key)) above.set(key, p);
    }
    for (let i = this.head; i < this.slots.length; i += 1) {
      const slot = this.slots[i]!;
      if (slot.state === 'done' && !this.failed.has(slot.pos.key)) above.set(slot.pos.key, slot.pos);
    }
    return {
      watermark: this.watermark,
      doneAbove: [...above.values()].sort(comparePositions),
      failed: this.failures,
    };
  }

  private enter(pos: Position, state: Slot['state']): void {
    if (this.last !== null && comparePositions(pos, this.last) <= 0) {
      throw new Error(`objects must enter in listing order: ${pos.key} after ${this.last.key}`);
    }
    this.last = pos;
    const slot: Slot = { pos: { keyTimeMs: pos.keyTimeMs, key: pos.key }, state };
    this.slots.push(slot);
    this.byKey.set(pos.key, slot);
  }

  private advance(): void {
    while (this.head < this.slots.length && this.slots[this.head]!.state === 'done') {
      const slot = this.slots[this.head]!;
      this.watermark = slot.pos;
      this.byKey.delete(slot.pos.key);
      this.priorDone.delete(slot.pos.key);
      this.head += 1;
    }
    // Compact now and then so the array stays as small as the window.
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
  }
}
