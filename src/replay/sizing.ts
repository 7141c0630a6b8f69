import type { S3Client } from '@aws-sdk/client-s3';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { listLogObjects, type ListOptions } from './list.js';

export interface Sizing {
  /** Objects and bytes of the whole selection, once the listing has finished. */
  readonly total: { objects: number; bytes: number } | undefined;
  /** Ends the listing if it still runs. */
  stop(): Promise<void>;
}

/**
 * A second listing of the selection, alongside the real one, for the progress line's percentage
 * and ETA. Best effort: when it fails, progress shows key time only.
 */
export function sizeSelection(s3: S3Client, options: (signal: AbortSignal) => ListOptions, logger: Logger): Sizing {
  const ctl = new AbortController();
  let total: { objects: number; bytes: number } | undefined;
  const done = (async () => {
    let objects = 0;
    let bytes = 0;
    for await (const obj of listLogObjects(s3, options(ctl.signal))) {
      objects += 1;
      bytes += obj.size;
    }
    total = { objects, bytes };
  })().catch((err: unknown) => {
    if (!ctl.signal.aborted) logger.debug({ err: describeError(err) }, 'Sizing listing failed; progress shows key time only.');
  });
  return {
    get total() {
      return total;
    },
    async stop() {
      ctl.abort();
      await done;
    },
  };
}
