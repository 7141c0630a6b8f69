import { randomUUID } from 'node:crypto';

/** A CloudTrail S3 data-event record like the samples (an assumed-role GetObject/PutObject), on `bucket`/`key`. */
export function cloudTrailRecord(o: {
  bucket: string;
  key: string;
  time: Date;
  eventId?: string;
  requestId?: string;
  eventName?: string;
  source?: string;
  errorCode?: string;
  session?: string;
}): Record<string, unknown> {
  const eventName = o.eventName ?? 'GetObject';
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:' + (o.session ?? 'player'),
      arn: `arn:aws:sts::123456789012:assumed-role/QaPlayer/${o.session ?? 'player'}`,
      accountId: '123456789012',
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: 'arn:aws:iam::123456789012:role/QaPlayer',
          accountId: '123456789012',
          userName: 'QaPlayer',
        },
        attributes: { creationDate: o.time.toISOString().replace(/\.\d{3}Z$/, 'Z'), mfaAuthenticated: 'true' },
      },
    },
    eventTime: o.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: o.source ?? 's3.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: '[aws-sdk-js/3.700.0]',
    ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: 'Access Denied' } : {}),
    requestParameters: { bucketName: o.bucket, Host: `${o.bucket}.s3.eu-west-1.amazonaws.com`, key: o.key },
    responseElements: null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: 0,
      AuthenticationMethod: 'AuthHeader',
      bytesTransferredOut: 1024,
    },
    ...(o.requestId === '' ? {} : { requestID: o.requestId ?? randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase() }),
    ...(o.eventId === '' ? {} : { eventID: o.eventId ?? randomUUID() }),
    readOnly: eventName.startsWith('Get') || eventName.startsWith('Head'),
    resources: [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${o.bucket}/${o.key}` },
      { accountId: '123456789012', type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${o.bucket}` },
    ],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: '123456789012',
    eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${o.bucket}.s3.eu-west-1.amazonaws.com` },
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz`. */
export function cloudTrailKey(delivered: Date, unique: string, account = '123456789012', region = 'eu-west-1'): string {
  const d = delivered;
  const day = `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
  const stamp = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  return `AWSLogs/${account}/CloudTrail/${region}/${day}/${account}_CloudTrail_${region}_${stamp}_${unique.padStart(16, '0').slice(-16)}.json.gz`;
}
