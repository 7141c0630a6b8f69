import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from './alert.js';

/** Where new alerts are published; at least once (store.ts keeps `notified: false` until it succeeds). */
export interface AlertNotifier {
  publish(id: string, alert: Alert): Promise<void>;
}

/** SNS: the subject is the rule and severity, the message the alert document with its id. */
export function snsNotifier(sns: SNSClient, topicArn: string): AlertNotifier {
  return {
    async publish(id, alert) {
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `recording-audit ${alert.rule.severity}: ${alert.rule.id}`.slice(0, 100),
          Message: JSON.stringify({ id, ...alert }),
          MessageAttributes: {
            rule: { DataType: 'String', StringValue: alert.rule.id },
            severity: { DataType: 'String', StringValue: alert.rule.severity },
          },
        }),
      );
    },
  };
}
