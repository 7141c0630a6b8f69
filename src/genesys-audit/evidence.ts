import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { AuditError } from '../core/errors.js';
import type { AuditApi } from '../enrich/genesys/audits.js';

/**
 * The evidence pages of the Genesys audit source: with EVIDENCE_BUCKET set, every results page is
 * written there, one message per line as Genesys sent it, before any of its events is indexed. The
 * events then point at their page and line (log.file.path, log.offset), as access events point at
 * their log object and line, and `verify` re-reads the page to prove them. The bucket is meant to
 * be under Object Lock in compliance mode (config/cloudformation/recording-storage.yaml).
 */

export interface EvidencePage {
  /** `s3://bucket/key` of the page: the events' log.file.path. */
  readonly path: string;
}

export interface EvidenceWriter {
  /** Writes one page; the line of `raws[i]` is i + 1. Throws when the page is not stored. */
  putPage(api: AuditApi, windowFrom: string, transactionId: string, pageNumber: number, raws: readonly unknown[]): Promise<EvidencePage>;
}

export const EVIDENCE_KEY_PREFIX = 'genesys-audit/';

export function createEvidenceWriter(s3: S3Client, bucket: string): EvidenceWriter {
  return {
    async putPage(api, windowFrom, transactionId, pageNumber, raws) {
      // A transaction id comes from Genesys: only its safe characters go into the key.
      const tx = transactionId.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 80);
      const key = `${EVIDENCE_KEY_PREFIX}${api}/${windowFrom.slice(0, 10)}/${tx}/page-${String(pageNumber).padStart(5, '0')}.ndjson`;
      const body = raws.map((r) => `${JSON.stringify(r) ?? 'null'}\n`).join('');
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/x-ndjson',
            // Object Lock buckets refuse a put without an integrity checksum.
            ContentMD5: createHash('md5').update(body).digest('base64'),
          }),
        );
      } catch (cause) {
        throw new AuditError('EVIDENCE_WRITE_FAILED', `the audit evidence page s3://${bucket}/${key} could not be written`, {
          cause,
          retryable: true,
        });
      }
      return { path: `s3://${bucket}/${key}` };
    },
  };
}
