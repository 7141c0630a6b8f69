#!/bin/sh
# Creates, in moto, what config/cloudformation/recording-audit.yaml creates in AWS, plus a
# recordings bucket set up as the HIPAA storage guide asks: a queue with a dead-letter queue, the
# access-log bucket (SSE-S3) notifying the queue, and the recordings bucket (SSE-KMS, versioned,
# deny non-KMS uploads, server access logging into the log bucket). Safe to run again.
set -eu

: "${QUEUE_NAME:=recording-audit-log-objects}"
: "${LOG_BUCKET:=recording-audit-access-logs}"
: "${RECORDINGS_BUCKET:=recording-audit-recordings}"
: "${ACCOUNT_ID:=123456789012}"
: "${AWS_REGION:=us-east-1}"
: "${KMS_ALIAS:=alias/recording-audit-local}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
UPLOADER="arn:aws:iam::${ACCOUNT_ID}:role/GenesysCloudRecordingRole"
work=$(mktemp -d)

say() { printf 'init: %s\n' "$*"; }

# Explicit, so the script works with any aws CLI version (v1 ignores AWS_ENDPOINT_URL).
aws() { command aws ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"; }

bucket() {
  aws s3api head-bucket --bucket "$1" >/dev/null 2>&1 || aws s3api create-bucket --bucket "$1" >/dev/null
}

# --- queues -------------------------------------------------------------------------------------
dlq_url=$(aws sqs create-queue --queue-name "${QUEUE_NAME}-dlq" --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text)
dlq_arn=$(aws sqs get-queue-attributes --queue-url "$dlq_url" --attribute-names QueueArn --query Attributes.QueueArn --output text)
cat >"$work/queue.json" <<JSON
{
  "VisibilityTimeout": "120",
  "MessageRetentionPeriod": "1209600",
  "RedrivePolicy": "{\"deadLetterTargetArn\":\"${dlq_arn}\",\"maxReceiveCount\":\"5\"}"
}
JSON
queue_url=$(aws sqs create-queue --queue-name "$QUEUE_NAME" --attributes "file://$work/queue.json" --query QueueUrl --output text)
queue_arn=$(aws sqs get-queue-attributes --queue-url "$queue_url" --attribute-names QueueArn --query Attributes.QueueArn --output text)
cat >"$work/queue-policy.json" <<JSON
{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"LogBucketOnly\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"${queue_arn}\",\"Condition\":{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::${LOG_BUCKET}\"},\"StringEquals\":{\"aws:SourceAccount\":\"${ACCOUNT_ID}\"}}}]}"}
JSON
aws sqs set-queue-attributes --queue-url "$queue_url" --attributes "file://$work/queue-policy.json"
say "queue $queue_url (dead-letter queue $dlq_url)"

# --- log bucket ---------------------------------------------------------------------------------
bucket "$LOG_BUCKET"
aws s3api put-bucket-encryption --bucket "$LOG_BUCKET" \
  --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
cat >"$work/log-bucket-policy.json" <<JSON
{"Version":"2012-10-17","Statement":[{"Sid":"S3ServerAccessLogDelivery","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::${LOG_BUCKET}/*"}]}
JSON
aws s3api put-bucket-policy --bucket "$LOG_BUCKET" --policy "file://$work/log-bucket-policy.json"
cat >"$work/notification.json" <<JSON
{"QueueConfigurations":[{"Id":"log-objects-to-recording-audit","QueueArn":"${queue_arn}","Events":["s3:ObjectCreated:*"]}]}
JSON
aws s3api put-bucket-notification-configuration --bucket "$LOG_BUCKET" --notification-configuration "file://$work/notification.json"
say "log bucket s3://$LOG_BUCKET notifies the queue"

# --- recordings bucket --------------------------------------------------------------------------
key_arn=$(aws kms describe-key --key-id "$KMS_ALIAS" --query KeyMetadata.Arn --output text 2>/dev/null || true)
if [ -z "$key_arn" ] || [ "$key_arn" = "None" ]; then
  key_arn=$(aws kms create-key --description "recording-audit local recordings key" --query KeyMetadata.Arn --output text)
  aws kms create-alias --alias-name "$KMS_ALIAS" --target-key-id "$key_arn"
fi
cat >"$work/key-policy.json" <<JSON
{"Version":"2012-10-17","Statement":[
 {"Sid":"EnableIamPolicies","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::${ACCOUNT_ID}:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"AllowGenesysCloudToUseKey","Effect":"Allow","Principal":{"AWS":"${UPLOADER}"},"Action":["kms:Decrypt","kms:GenerateDataKey","kms:GenerateDataKeyWithoutPlaintext","kms:Encrypt"],"Resource":"*"}
]}
JSON
aws kms put-key-policy --key-id "$key_arn" --policy-name default --policy "file://$work/key-policy.json"
bucket "$RECORDINGS_BUCKET"
aws s3api put-bucket-encryption --bucket "$RECORDINGS_BUCKET" \
  --server-side-encryption-configuration "{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\"KMSMasterKeyID\":\"${key_arn}\"},\"BucketKeyEnabled\":true}]}"
aws s3api put-bucket-versioning --bucket "$RECORDINGS_BUCKET" --versioning-configuration Status=Enabled
cat >"$work/recordings-policy.json" <<JSON
{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyNonKmsUploads","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::${RECORDINGS_BUCKET}/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
 {"Sid":"GenesysUpload","Effect":"Allow","Principal":{"AWS":"${UPLOADER}"},"Action":["s3:PutObject","s3:AbortMultipartUpload","s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::${RECORDINGS_BUCKET}/*"},
 {"Sid":"GenesysList","Effect":"Allow","Principal":{"AWS":"${UPLOADER}"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::${RECORDINGS_BUCKET}"}
]}
JSON
aws s3api put-bucket-policy --bucket "$RECORDINGS_BUCKET" --policy "file://$work/recordings-policy.json"
aws s3api put-bucket-logging --bucket "$RECORDINGS_BUCKET" \
  --bucket-logging-status "{\"LoggingEnabled\":{\"TargetBucket\":\"${LOG_BUCKET}\",\"TargetPrefix\":\"${RECORDINGS_BUCKET}/\"}}"
say "recordings bucket s3://$RECORDINGS_BUCKET (SSE-KMS $key_arn, versioned, access logs to s3://$LOG_BUCKET/$RECORDINGS_BUCKET/)"
rm -rf "$work"
