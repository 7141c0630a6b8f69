import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { describeAwsError, fixForAwsError, isNotFound } from './aws-errors.js';
import { Rows, type CheckContext, type CheckGroup, type CheckResult } from './types.js';

/** reliability.md §4.1: the redrive DLQ gets maxReceiveCount ≥ 5 and 14 days of retention. */
export const MIN_MAX_RECEIVE_COUNT = 5;
export const DLQ_RETENTION_SECS = 14 * 24 * 3600;

interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function parseRedrivePolicy(raw: string): RedrivePolicy | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return 'RedrivePolicy is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null) return 'RedrivePolicy is not an object';
  const p = parsed as Record<string, unknown>;
  const arn = p.deadLetterTargetArn;
  const count = typeof p.maxReceiveCount === 'string' ? Number(p.maxReceiveCount) : p.maxReceiveCount;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) return 'RedrivePolicy has no deadLetterTargetArn';
  if (typeof count !== 'number' || !Number.isInteger(count)) return 'RedrivePolicy has no maxReceiveCount';
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

/** arn:aws:sqs:region:account:name → {account, name}. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:[\w-]+:sqs:([\w-]*):(\d*):([\w.-]+)$/.exec(arn);
  return m?.[1] !== undefined && m[2] !== undefined && m[3] !== undefined ? { region: m[1], account: m[2], name: m[3] } : undefined;
}

const DLQ_FIX =
  'Give the queue a RedrivePolicy {"deadLetterTargetArn": "<DLQ ARN>", "maxReceiveCount": 5} so a message that keeps failing is kept for inspection, never lost (config/cloudformation/recording-audit.yaml does this).';

async function run(ctx: CheckContext): Promise<CheckResult[]> {
  const rows = new Rows('sqs');
  const queueUrl = ctx.config.SQS_QUEUE_URL;
  if (queueUrl === undefined) {
    rows.skip('queue reachable', 'SQS_QUEUE_URL is not set');
    return rows.rows;
  }
  const sqs = ctx.sqs();
  let attributes: Record<string, string>;
  try {
    const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    attributes = res.Attributes ?? {};
  } catch (err) {
    const missing = isNotFound(err, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
    rows.fail(
      'queue reachable',
      `GetQueueAttributes on ${queueUrl} failed: ${describeAwsError(err)}`,
      missing
        ? 'The queue does not exist: create it (config/cloudformation/recording-audit.yaml) or correct SQS_QUEUE_URL.'
        : fixForAwsError(err, 'sqs:GetQueueAttributes', queueUrl),
    );
    rows.skip('dead-letter queue', 'the queue is not reachable');
    return rows.rows;
  }
  const visible = attributes.ApproximateNumberOfMessages ?? '?';
  const inFlight = attributes.ApproximateNumberOfMessagesNotVisible ?? '?';
  rows.pass('queue reachable', `${attributes.QueueArn ?? queueUrl}: ${visible} visible, ${inFlight} in flight`);

  const raw = attributes.RedrivePolicy;
  if (raw === undefined || raw === '') {
    rows.fail('dead-letter queue', 'the queue has no RedrivePolicy: a message that always fails is received forever (or expires unseen)', DLQ_FIX);
    return rows.rows;
  }
  const redrive = parseRedrivePolicy(raw);
  if (typeof redrive === 'string') {
    rows.fail('dead-letter queue', redrive, DLQ_FIX);
    return rows.rows;
  }
  const dlq = parseQueueArn(redrive.deadLetterTargetArn);
  if (dlq === undefined) {
    rows.fail('dead-letter queue', `deadLetterTargetArn ${redrive.deadLetterTargetArn} is not an SQS queue ARN`, DLQ_FIX);
    return rows.rows;
  }
  let dlqAttributes: Record<string, string>;
  try {
    const { QueueUrl: dlqUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: dlq.name, ...(dlq.account !== '' ? { QueueOwnerAWSAccountId: dlq.account } : {}) }),
    );
    const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['MessageRetentionPeriod', 'ApproximateNumberOfMessages'] }));
    dlqAttributes = res.Attributes ?? {};
  } catch (err) {
    const missing = isNotFound(err, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue');
    rows.fail(
      'dead-letter queue',
      `the RedrivePolicy names ${dlq.name}, which ${missing ? 'does not exist' : `cannot be read: ${describeAwsError(err)}`}; redriven messages would be lost`,
      missing
        ? `Create the queue ${dlq.name} or point the RedrivePolicy at an existing one.`
        : fixForAwsError(err, 'sqs:GetQueueUrl and sqs:GetQueueAttributes', redrive.deadLetterTargetArn),
    );
    return rows.rows;
  }
  const waiting = Number(dlqAttributes.ApproximateNumberOfMessages ?? '0');
  const detail = `${dlq.name} after ${redrive.maxReceiveCount} receives; ${waiting} message(s) waiting there`;
  if (redrive.maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
    rows.warn(
      'dead-letter queue',
      `${detail}; maxReceiveCount ${redrive.maxReceiveCount} moves a message aside after a short outage`,
      `Raise maxReceiveCount to at least ${MIN_MAX_RECEIVE_COUNT}.`,
    );
  } else {
    rows.pass('dead-letter queue', detail);
  }
  const retention = Number(dlqAttributes.MessageRetentionPeriod ?? '0');
  if (retention < DLQ_RETENTION_SECS) {
    rows.warn(
      'dead-letter retention',
      `${dlq.name} keeps messages ${Math.round(retention / 86400)} day(s)`,
      `Set MessageRetentionPeriod of ${dlq.name} to ${DLQ_RETENTION_SECS} (14 days) so failed notifications survive until someone replays them.`,
    );
  } else {
    rows.pass('dead-letter retention', `${dlq.name} keeps messages ${Math.round(retention / 86400)} days`);
  }
  if (waiting > 0) {
    rows.warn(
      'dead-letter queue empty',
      `${waiting} notification(s) are in ${dlq.name}: their log objects were not indexed`,
      'Find the cause in the worker logs, fix it, then redrive the DLQ (SQS StartMessageMoveTask) or run `recording-audit replay` for the affected period.',
    );
  }
  return rows.rows;
}

export const sqsChecks: CheckGroup = {
  name: 'sqs',
  summary: 'The notification queue answers and has a dead-letter queue.',
  needs: ['SQS_QUEUE_URL'],
  run,
};
