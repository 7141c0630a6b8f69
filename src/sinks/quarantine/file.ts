import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { toNdjsonLine, type QuarantineRecord, type QuarantineStore } from './record.js';

interface Waiting {
  body: string;
  count: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Names this process's files apart from every other writer's: containers sharing a volume all run
 * as pid 1, and one process's large append may reach the file as several writes.
 */
const PROCESS_TAG = `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Appends NDJSON to `<dir>/quarantine-YYYY-MM-DD-<pid>-<random>.ndjson` (UTC day of the write; one
 * file per process, so a worker and a replay never share one). Group commit: calls that arrive
 * while a write+fsync runs are written together by the next one, so many small puts cost one fsync.
 * A file found to end inside a line (a write cut short by a full disk or a kill) gets a newline
 * before anything more is appended, so the torn line never swallows the next record.
 */
export class FileQuarantine implements QuarantineStore {
  private readonly dir: string;
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;
  private handle: { day: string; fh: FileHandle } | undefined;
  private dirReady = false;
  private closed = false;

  constructor(
    url: URL,
    private readonly logger: Logger,
    private readonly fileTag: string = PROCESS_TAG,
  ) {
    this.dir = fileURLToPath(url);
  }

  put(records: QuarantineRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditError('QUARANTINE_WRITE_FAILED', 'quarantine store is closed'));
    if (records.length === 0) return Promise.resolve();
    const body = records.map(toNdjsonLine).join('');
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ body, count: records.length, resolve, reject });
      this.running ??= this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    const h = this.handle;
    this.handle = undefined;
    await h?.fh.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.append(batch.map((w) => w.body).join(''));
          for (const w of batch) w.resolve();
        } catch (cause) {
          const count = batch.reduce((n, w) => n + w.count, 0);
          this.logger.error({ err: describeError(cause), records: count, dir: this.dir }, 'Quarantine file write failed.');
          const err = new AuditError('QUARANTINE_WRITE_FAILED', 'could not write quarantine records to file', { cause, retryable: true });
          for (const w of batch) w.reject(err);
          await this.dropHandle();
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async append(body: string): Promise<void> {
    const fh = await this.fileForToday();
    await fh.appendFile(body, 'utf8');
    await fh.datasync();
  }

  private async fileForToday(): Promise<FileHandle> {
    const day = new Date().toISOString().slice(0, 10);
    if (this.handle?.day === day) return this.handle.fh;
    await this.dropHandle();
    if (!this.dirReady) {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.dirReady = true;
    }
    const fh = await open(join(this.dir, `quarantine-${day}-${this.fileTag}.ndjson`), 'a+', 0o600);
    try {
      await endLine(fh);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.handle = { day, fh };
    await this.syncDir();
    return fh;
  }

  /** A new file's directory entry is durable only once the directory itself is fsync'd. */
  private async syncDir(): Promise<void> {
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  private async dropHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.fh.close().catch(() => undefined);
  }
}

/** Ends the file's last line if it was cut short; the next append then starts a line of its own. */
async function endLine(fh: FileHandle): Promise<void> {
  const { size } = await fh.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] !== 0x0a) {
    await fh.appendFile('\n', 'utf8');
    await fh.datasync();
  }
}
