import { Writable } from 'node:stream';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger, type Logger } from '../../../src/core/log.js';
import { awsClientConfig, uniqueName } from '../../support/stack-env.js';

/** Clients on moto; `endpoint` puts a fault proxy in front of it. */
export const newSqs = (endpoint?: string): SQSClient => new SQSClient(awsClientConfig(endpoint));
export const newS3 = (endpoint?: string, maxAttempts?: number): S3Client =>
  new S3Client({ ...awsClientConfig(endpoint), ...(maxAttempts ? { maxAttempts } : {}) });

/** Queues created by a test file, deleted in afterAll. */
export class TestQueues {
  private readonly urls: string[] = [];
  constructor(private readonly sqs: SQSClient) {}

  async create(attributes: Record<string, string> = {}): Promise<string> {
    const out = await this.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('t-src'), Attributes: attributes }));
    this.urls.push(out.QueueUrl!);
    return out.QueueUrl!;
  }

  async deleteAll(): Promise<void> {
    await Promise.all(this.urls.map((QueueUrl) => this.sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)));
  }
}

export async function sendBodies(sqs: SQSClient, queueUrl: string, bodies: string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const batch = bodies.slice(i, i + 10);
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((MessageBody, j) => ({ Id: String(j), MessageBody })) }));
    if ((out.Failed ?? []).length > 0) throw new Error(`send failed: ${JSON.stringify(out.Failed)}`);
  }
}

/** Visible and in-flight message counts (moto updates them immediately). */
export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 'NaN'),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 'NaN'),
  };
}

/** A real pino logger whose lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export interface RecordedCommand {
  name: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/**
 * Records the commands a real SDK client sends (name, input and, once answered, output) through
 * the client's own middleware stack. An observer, not a mock: every call still goes to the server.
 */
export function recordCommands(client: SQSClient): RecordedCommand[] {
  const seen: RecordedCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const entry: RecordedCommand = { name: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> };
      seen.push(entry);
      const result = await next(args);
      entry.output = result.output as unknown as Record<string, unknown>;
      return result;
    },
    { step: 'initialize', name: uniqueName('record-commands') },
  );
  return seen;
}

/** Receipt handles the client received, in order. */
export function receivedHandles(commands: RecordedCommand[]): string[] {
  return commands
    .filter((c) => c.name === 'ReceiveMessageCommand' && c.output)
    .flatMap((c) => ((c.output as { Messages?: { ReceiptHandle?: string }[] }).Messages ?? []).map((m) => m.ReceiptHandle ?? ''));
}
