import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the worker exports. Labels are low-cardinality by construction: outcomes, reasons
 * and endpoints from fixed sets, never a key, a bucket or an id.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'recording_audit_' });
  const r = [registry];
  return {
    registry,
    messagesReceived: new Counter({ name: 'recording_audit_sqs_messages_received_total', help: 'SQS messages received.', registers: r }),
    messagesDeleted: new Counter({
      name: 'recording_audit_sqs_messages_deleted_total',
      help: 'SQS messages deleted after every line they name was accounted for.',
      registers: r,
    }),
    messagesAbandoned: new Counter({
      name: 'recording_audit_sqs_messages_abandoned_total',
      help: 'SQS messages left for redelivery, by reason.',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    messagesIgnored: new Counter({
      name: 'recording_audit_sqs_messages_ignored_total',
      help: 'Notification records acknowledged without work: test events, non-ObjectCreated events.',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    messagesRefused: new Counter({
      name: 'recording_audit_sqs_messages_refused_total',
      help: 'Notifications refused and left for the dead-letter queue: not understood, or a bucket outside LOG_BUCKETS and CLOUDTRAIL_BUCKETS.',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    messagesInFlight: new Gauge({ name: 'recording_audit_sqs_messages_in_flight', help: 'SQS messages held by this worker now.', registers: r }),
    heartbeatExtensions: new Counter({
      name: 'recording_audit_sqs_heartbeat_extensions_total',
      help: 'Visibility timeout extensions, by result.',
      labelNames: ['result'] as const,
      registers: r,
    }),
    sqsReceiveErrors: new Counter({
      name: 'recording_audit_sqs_receive_errors_total',
      help: 'ReceiveMessage calls that failed (the poller backs off and keeps going).',
      registers: r,
    }),
    queueLagSeconds: new Gauge({
      name: 'recording_audit_sqs_oldest_message_age_seconds',
      help: 'Age of the oldest message this worker holds (sent time to now).',
      registers: r,
    }),
    objects: new Counter({ name: 'recording_audit_objects_total', help: 'Log objects processed, by result.', labelNames: ['result'] as const, registers: r }),
    // Its own series, not only an objects_total result: alerting keys on it (any increase), since
    // each one is a log object whose records may never be indexed.
    missingLogObjects: new Counter({
      name: 'recording_audit_missing_log_objects_total',
      help: 'Notifications whose log object was gone (404) when read, by MISSING_OBJECT_POLICY: retry leaves the message for redelivery and the DLQ, skip drops its records. Alert on any increase.',
      labelNames: ['policy'] as const,
      registers: r,
    }),
    objectBytes: new Counter({ name: 'recording_audit_object_bytes_total', help: 'Bytes of log objects read (as stored, before gunzip).', registers: r }),
    lines: new Counter({ name: 'recording_audit_lines_total', help: 'Non-blank lines read from log objects.', registers: r }),
    cloudTrailRecords: new Counter({
      name: 'recording_audit_cloudtrail_records_total',
      help: 'CloudTrail records accounted for, by outcome: indexed, duplicate, quarantined, skipped (not an S3 data event, or another bucket).',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    blankLines: new Counter({ name: 'recording_audit_blank_lines_total', help: 'Blank lines skipped.', registers: r }),
    events: new Counter({
      name: 'recording_audit_events_total',
      help: 'Lines accounted for, by outcome: indexed, duplicate, quarantined.',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    errorEvents: new Counter({
      name: 'recording_audit_pipeline_error_events_total',
      help: 'pipeline_error events in the index for quarantined lines (written or already there); not lines.',
      registers: r,
    }),
    quarantined: new Counter({
      name: 'recording_audit_quarantined_total',
      help: 'Lines or documents quarantined, by reason code.',
      labelNames: ['reason'] as const,
      registers: r,
    }),
    integrityAlarms: new Counter({
      name: 'recording_audit_integrity_alarms_total',
      help: 'A stored document with the same id but a different event.hash: never overwritten.',
      registers: r,
    }),
    bulkRequests: new Counter({
      name: 'recording_audit_bulk_requests_total',
      help: 'Bulk requests, by result.',
      labelNames: ['result'] as const,
      registers: r,
    }),
    bulkItemRetries: new Counter({
      name: 'recording_audit_bulk_item_retries_total',
      help: 'Bulk items retried, by status class.',
      labelNames: ['status'] as const,
      registers: r,
    }),
    bulkLatency: new Histogram({
      name: 'recording_audit_bulk_duration_seconds',
      help: 'Bulk request latency.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    }),
    sinkAvailable: new Gauge({
      name: 'recording_audit_sink_available',
      help: '1 while OpenSearch accepts writes, 0 while the worker waits for it.',
      registers: r,
    }),
    genesysRequests: new Counter({
      name: 'recording_audit_genesys_requests_total',
      help: 'Genesys API requests, by endpoint and HTTP status (or "error").',
      labelNames: ['endpoint', 'status'] as const,
      registers: r,
    }),
    genesysCache: new Counter({
      name: 'recording_audit_genesys_cache_lookups_total',
      help: 'Genesys lookup cache results, by cache and result (hit, miss).',
      labelNames: ['cache', 'result'] as const,
      registers: r,
    }),
    enrichment: new Counter({ name: 'recording_audit_enrichment_total', help: 'Events by enrichment.status.', labelNames: ['status'] as const, registers: r }),
    actors: new Counter({
      name: 'recording_audit_actor_people_total',
      help: 'Human events by what was found of the person behind the principal: found (a Genesys user), not_in_genesys, pending (no answer in time), unresolvable (keys-only, no directory user id).',
      labelNames: ['result'] as const,
      registers: r,
    }),
    enrichmentCapped: new Counter({
      name: 'recording_audit_enrichment_requester_capped_total',
      help: 'Events written pending because their requester reached GENESYS_LOOKUPS_PER_REQUESTER_PER_MIN.',
      registers: r,
    }),
    genesysAuditMessages: new Counter({
      name: 'recording_audit_genesys_audit_messages_total',
      help: 'Genesys audit messages read, by API and outcome (indexed, duplicate, quarantined, failed).',
      labelNames: ['api', 'outcome'] as const,
      registers: r,
    }),
    genesysAuditLagSeconds: new Gauge({
      name: 'recording_audit_genesys_audit_lag_seconds',
      help: 'Seconds between now and the Genesys audit watermark of each API, after the last run.',
      labelNames: ['api'] as const,
      registers: r,
    }),
    readinessProbeUp: new Gauge({
      name: 'recording_audit_readiness_probe_up',
      help: 'Last /readyz result of each dependency probe: 1 answered, 0 failed.',
      labelNames: ['probe'] as const,
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
