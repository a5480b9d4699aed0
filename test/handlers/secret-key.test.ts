import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createSecretKeyLoader,
  createSecretReader,
  fetchFromSecretsManager,
} from '../../src/handlers/secret-key.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:vectra-xdr-relay/dev/secret-key-AbCdEf';
const KEY = 'k'.repeat(64);

describe('loadSecretKey', () => {
  it('uses SECRET_KEY when no ARN is configured (local server, tests)', async () => {
    const fetch = vi.fn();
    const load = createSecretKeyLoader(createSecretReader(fetch));
    await expect(load({ SECRET_KEY: KEY })).resolves.toBe(KEY);
    await expect(load({})).resolves.toBeUndefined();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reads the secret once per process, shared by concurrent callers', async () => {
    const fetch = vi.fn(async () => KEY);
    const load = createSecretKeyLoader(createSecretReader(fetch));
    const env = { SECRET_KEY_ARN: ARN, SECRET_KEY: 'ignored-when-an-arn-is-set' };
    await expect(Promise.all([load(env), load(env)])).resolves.toEqual([KEY, KEY]);
    await expect(load(env)).resolves.toBe(KEY);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith(ARN);
  });

  it('re-reads after its time to live, when one is given (the engine: rotated credentials)', async () => {
    let t = 0;
    const fetch = vi.fn(async () => KEY);
    const read = createSecretReader(fetch, { ttlMs: 300_000, now: () => t });
    await read(ARN);
    t = 299_999;
    await read(ARN);
    expect(fetch).toHaveBeenCalledTimes(1);
    t = 300_000;
    await read(ARN);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failure: the next call retries', async () => {
    const fetch = vi.fn<(id: string) => Promise<string>>();
    fetch.mockRejectedValueOnce(new Error('AccessDenied')).mockResolvedValueOnce(KEY);
    const load = createSecretKeyLoader(createSecretReader(fetch));
    await expect(load({ SECRET_KEY_ARN: ARN })).rejects.toThrow('AccessDenied');
    await expect(load({ SECRET_KEY_ARN: ARN })).resolves.toBe(KEY);
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});

describe('fetchFromSecretsManager', () => {
  const calls: { target: string | null; body: unknown }[] = [];
  let answer: Record<string, unknown> = {};
  const server = setupServer(
    http.post('https://secretsmanager.us-east-1.amazonaws.com/', async ({ request }) => {
      calls.push({ target: request.headers.get('x-amz-target'), body: await request.json() });
      return HttpResponse.json(answer, { headers: { 'content-type': 'application/x-amz-json-1.1' } });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('calls GetSecretValue with the ARN and returns the trimmed string', async () => {
    answer = { ARN, Name: 'vectra-xdr-relay/dev/secret-key', SecretString: `${KEY}\n` };
    await expect(fetchFromSecretsManager(ARN)).resolves.toBe(KEY);
    expect(calls.at(-1)).toEqual({ target: 'secretsmanager.GetSecretValue', body: { SecretId: ARN } });
  });

  it('fails without echoing anything when the secret has no string value', async () => {
    answer = { ARN, Name: 'x' };
    await expect(fetchFromSecretsManager(ARN)).rejects.toThrow(`Secret ${ARN} has no string value`);
  });
});
