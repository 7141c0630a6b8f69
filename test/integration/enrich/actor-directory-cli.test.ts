import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stackSettings, uniqueName } from '../../support/stack-env.js';

const exec = promisify(execFile);

describe('ACTOR_DIRECTORY_FILE at start', () => {
  it('a worker with a bad directory exits 78 before it starts, naming every bad line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'actors-')), 'people.csv');
    writeFileSync(
      file,
      ['principal,email,genesys_user_id', 'E1,sofia@example-health.org,', 'E2,not-an-email,', 'E3,,', 'E1,dan@example-health.org,'].join('\n'),
    );
    const err = (await exec(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...stackSettings(),
        INDEX_PREFIX: uniqueName('t-actor-cli'),
        LOG_LEVEL: 'warn',
        SQS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/none',
        LOG_BUCKETS: 'logs',
        HEALTH_PORT: '0',
        ACTOR_DIRECTORY_FILE: file,
      },
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(78);
    expect(err.stderr).toContain('ACTOR_DIRECTORY_FILE');
    expect(err.stderr).toContain('line 3: email is not an email address');
    expect(err.stderr).toContain('line 4: needs an email or a genesys_user_id');
    expect(err.stderr).toContain('line 5: principal E1 is already mapped at line 2');
  });
});
