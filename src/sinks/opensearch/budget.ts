/**
 * A byte budget shared by everything the bulk writer holds: documents waiting in the open batch,
 * in flight, and waiting for a retry. `acquire` waits when the budget is spent; that wait is the
 * backpressure the pipeline feels (and, through it, SQS intake). Waiters are served in order, so a
 * large document is not starved by a stream of small ones.
 */
export class ByteBudget {
  private usedBytes = 0;
  private readonly waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
  }

  get used(): number {
    return this.usedBytes;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes `bytes` without waiting if they fit and nobody queues ahead. A request larger than the
   * whole capacity is admitted when the budget is empty, so one oversized document cannot block
   * forever.
   */
  tryAcquire(bytes: number): boolean {
    if (this.waiters.length > 0 || !this.fits(bytes)) return false;
    this.usedBytes += bytes;
    return true;
  }

  acquire(bytes: number): Promise<void> {
    if (this.tryAcquire(bytes)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ bytes, resolve });
    });
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    if (this.usedBytes < 0) throw new RangeError(`released more bytes than acquired (${this.usedBytes})`);
    this.wake();
  }

  private fits(bytes: number): boolean {
    return this.usedBytes === 0 || this.usedBytes + bytes <= this.capacity;
  }

  private wake(): void {
    for (let next = this.waiters[0]; next !== undefined && this.fits(next.bytes); next = this.waiters[0]) {
      this.waiters.shift();
      this.usedBytes += next.bytes;
      next.resolve();
    }
  }
}
