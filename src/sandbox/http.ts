/** HTTP helpers every fake shares. */
import type { IncomingMessage } from 'node:http';

/**
 * A request body as text, read up to `maxBytes`. Past it: the product's own
 * "too large" error when the fake models one (`tooLarge`), else the body
 * read so far (what a product that truncates would see).
 */
export async function readBody(
  req: IncomingMessage,
  opts: { maxBytes?: number; tooLarge?: () => Error } = {},
): Promise<string> {
  const max = opts.maxBytes ?? 5_000_000;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      if (opts.tooLarge) throw opts.tooLarge();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
