/** Test tokens and a real JWKS server on 127.0.0.1 that counts its hits. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMN';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export async function hs256(
  payload: Record<string, unknown>,
  secret = TEST_SECRET,
  exp?: string,
): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (exp) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(secret));
}

export interface RsaKey {
  kid: string;
  privateKey: PrivateKey;
  jwk: JWK;
}

export async function rsaKey(kid: string): Promise<RsaKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

export async function rs256(
  key: RsaKey,
  payload: Record<string, unknown>,
  opts: { kid?: string; exp?: string; nbf?: string } = {},
): Promise<string> {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? key.kid })
    .setIssuedAt();
  if (opts.exp) jwt.setExpirationTime(opts.exp);
  if (opts.nbf) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

/** A token with `alg: none` (unsigned). */
export function unsigned(payload: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

export interface JwksServer {
  origin: string;
  /** host:port, as a token's jwks_host names it. */
  host: string;
  hits: () => number;
  setKeys: (keys: JWK[]) => void;
  close: () => Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let hits = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks') {
      hits += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: current }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hits: () => hits,
    setKeys: (k) => {
      current = k;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
