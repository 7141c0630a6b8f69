import { describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../../src/config/load.js';
import { replayOptionsFrom } from '../../../src/replay/options.js';

const cfg = loadConfigOrThrow({ env: { REPLAY_MARGIN_SECS: '600', OBJECT_CONCURRENCY: '3', REPLAY_MAX_LINES_PER_SEC: '5000' } });

describe('replay options', () => {
  it('takes settings as defaults', () => {
    const o = replayOptionsFrom({ bucket: 'log-bucket', from: '2024-01-05', to: '2024-01-06T00:00:00+01:00' }, cfg);
    expect(o.params).toEqual({
      bucket: 'log-bucket',
      prefix: '',
      fromMs: Date.parse('2024-01-05T00:00:00Z'),
      toMs: Date.parse('2024-01-05T23:00:00Z'),
      marginSecs: 600,
      format: 'auto',
    });
    expect(o).toMatchObject({
      mode: 'process',
      concurrency: 3,
      maxLinesPerSec: 5000,
      checkpointUrl: 'file:///tmp/recording-audit/replay-checkpoint.json',
      restart: false,
    });
    expect(o.reportUrl).toBeUndefined();
  });

  it('lets flags override settings', () => {
    const o = replayOptionsFrom(
      {
        bucket: 'log-bucket',
        prefix: 'logs/',
        from: '2024-01-05T00:00:00Z',
        to: '2024-01-06T00:00:00Z',
        'margin-secs': '0',
        concurrency: '8',
        'max-lines-per-sec': '0',
        format: 'partitioned',
        checkpoint: 's3://cp-bucket/replay/cp.json',
        report: '/tmp/r.json',
        'dry-run': true,
      },
      cfg,
    );
    expect(o).toMatchObject({
      mode: 'dry-run',
      concurrency: 8,
      maxLinesPerSec: 0,
      checkpointUrl: 's3://cp-bucket/replay/cp.json',
      reportUrl: 'file:///tmp/r.json',
    });
    expect(o.params).toMatchObject({ prefix: 'logs/', marginSecs: 0, format: 'partitioned' });
  });

  it.each([
    [{ from: '2024-01-05', to: '2024-01-06' }, /--bucket is required/],
    [{ bucket: 'Bad_Bucket', from: '2024-01-05', to: '2024-01-06' }, /not an S3 bucket name/],
    [{ bucket: 'b-1', from: '2024-01-05T10:00:00', to: '2024-01-06' }, /time zone/],
    [{ bucket: 'b-1', from: '2024-01-06', to: '2024-01-05' }, /--to must be after --from/],
    [{ bucket: 'b-1', from: '2024-01-05', to: '2024-01-06', format: 'daily' }, /--format/],
    [{ bucket: 'b-1', from: '2024-01-05', to: '2024-01-06', concurrency: '0' }, /--concurrency/],
    [{ bucket: 'b-1', from: '2024-01-05', to: '2024-01-06', checkpoint: '/tmp/x.json' }, /--checkpoint/],
    [{ bucket: 'b-1', from: '2024-01-05', to: '2024-01-06', 'dry-run': true, enqueue: true }, /exclude each other/],
  ])('refuses %j', (values, message) => {
    expect(() => replayOptionsFrom(values, cfg)).toThrow(message);
  });
});
