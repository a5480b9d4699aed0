/**
 * The stack's collection bucket as an `ObjectStore` (AWS SDK v3, the
 * function's own role: no credentials ever come from a token). Objects are
 * encrypted at rest (SSE-S3, also the bucket's default), the bucket refuses
 * plain-http access and its lifecycle rule expires them. Loaded only when
 * `COLLECT_BUCKET` is set.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { checkKey, type ObjectStore } from './store.js';

export class S3Store implements ObjectStore {
  readonly location: string;
  private readonly s3 = new S3Client({});

  constructor(private readonly bucket: string) {
    this.location = `s3://${bucket}`;
  }

  async put(key: string, body: Buffer | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: checkKey(key),
        Body: body,
        ContentType: contentType,
        ServerSideEncryption: 'AES256',
      }),
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
      return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : undefined;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async list(prefix: string, max = 1000): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: Math.min(1000, max - out.length),
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token && out.length < max);
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
  }
}
