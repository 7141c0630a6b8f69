import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsClient, createSqsClient } from '../../../src/core/aws-clients.js';
import { snsNotifier } from '../../../src/detect/notify.js';
import { applyStackEnv, uniqueName } from '../../support/stack-env.js';
import { DAY, Fixture, HOUR, HUMAN, MONDAY, only, recordingKey } from './support.js';

describe('alerts published to SNS (moto)', () => {
  applyStackEnv();
  const fx = new Fixture('sns');
  const sns = createSnsClient({ SELF_USER_AGENT_SUFFIX: 'test' });
  const sqs = createSqsClient({ SELF_USER_AGENT_SUFFIX: 'test' });
  let topicArn = '';
  let queueUrl = '';

  beforeAll(async () => {
    await fx.setup();
    await fx.ingest([2, 3].map((n) => ({ at: MONDAY + 10 * HOUR + n * 60_000, requester: HUMAN('mallory'), op: 'REST.DELETE.OBJECT', key: recordingKey(n) })));
    topicArn = (await sns.send(new CreateTopicCommand({ Name: uniqueName('t-alerts') }))).TopicArn!;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('t-alerts') }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }));
  });
  afterAll(async () => {
    await sns.send(new DeleteTopicCommand({ TopicArn: topicArn })).catch(() => undefined);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    sns.destroy();
    sqs.destroy();
    await fx.drop();
  });

  it('a failed publish leaves the alert notified: false; the next run publishes it, once', async () => {
    const rules = only('deletion');
    // A topic that does not exist: every publish fails, the alerts are written all the same.
    const missing = `${topicArn}-missing`;
    const first = await fx.detect(MONDAY, MONDAY + DAY, { rules, notifier: snsNotifier(sns, missing) });
    expect(first.created).toBe(2);
    expect(first.notifyFailed).toBe(2);
    expect((await fx.storedAlerts()).map((a) => a.source.notified)).toEqual([false, false]);

    // The next run finds nothing new, and publishes what is still waiting.
    const second = await fx.detect(MONDAY, MONDAY + DAY, { rules, notifier: snsNotifier(sns, topicArn) });
    expect(second.created).toBe(0);
    expect(second.notified).toBe(2);
    expect((await fx.storedAlerts()).map((a) => a.source.notified)).toEqual([true, true]);

    const third = await fx.detect(MONDAY, MONDAY + DAY, { rules, notifier: snsNotifier(sns, topicArn) });
    expect(third.notified).toBe(0);

    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const bodies = (got.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}') as { id: string; rule: { id: string } });
    expect(bodies.map((b) => b.rule.id)).toEqual(['deletion', 'deletion']);
    expect(bodies.map((b) => b.id).sort()).toEqual(second.alerts.map((a) => a.id).sort());
  });
});
