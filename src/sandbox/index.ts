/**
 * The embedded sandbox behind `npm start`: a fake Vectra brain seeded with a
 * small scenario and a fake EC2 endpoint holding a VPC default NACL, both on
 * 127.0.0.1, plus the relay settings and a ready HS256 JWT that point at them.
 * Only the local server starts it, and only when no real configuration is
 * present; the Lambda handler never does.
 */

import { SignJWT } from 'jose';
import { ConfigError } from '../kernel/config.js';
import { generateSecret } from '../kernel/secret.js';
import { type FakeEc2, startFakeEc2 } from './ec2/index.js';
import type { FakeDeclaration, RunningFake, SeedHost } from './fake.js';
import { fakes } from './fakes.js';
import {
  type FakeBrain,
  SCENARIO,
  type SeededScenario,
  seedSandboxScenario,
  startFakeBrain,
} from './vectra-brain/index.js';

/** The scenario's hosts as EDR endpoints (name, current IP and MAC where Vectra knows one). */
function sandboxHosts(): SeedHost[] {
  return [SCENARIO.workstation, SCENARIO.server, SCENARIO.blockedHost].map((h) => ({
    name: h.name,
    ip: h.ip,
    ...('mac' in h ? { mac: h.mac } : {}),
  }));
}

export interface Sandbox {
  readonly brain: FakeBrain;
  readonly ec2: FakeEc2;
  /** The block-client fakes started besides EC2, by module id. */
  readonly fakes: Readonly<Record<string, RunningFake>>;
  /** The block clients the JWT enables. */
  readonly clients: readonly string[];
  readonly naclId: string;
  readonly seeded: SeededScenario;
  /** Environment for the relay: HS256 with a fresh secret, loopback upstreams, EC2 at the fake. */
  readonly env: Record<string, string>;
  /** Claims a module would carry for this sandbox. */
  readonly claims: Record<string, string>;
  /** A ready JWT over `claims`, signed with the sandbox secret (valid 24 h). */
  readonly jwt: string;
  close(): Promise<void>;
}

/** Environment variables that mean "real configuration: do not start the sandbox". */
export const REAL_CONFIG_VARS = [
  'SECRET_KEY',
  'SECRET_KEY_ARN',
  'AUTH_MODE',
  'JWKS_ALLOWED_HOSTS',
  'RELAY_PUBLIC_URL',
];

export function wantsSandbox(env: Record<string, string | undefined>): boolean {
  const forced = env.RELAY_SANDBOX?.trim();
  if (forced === 'true' || forced === 'false') return forced === 'true';
  if (forced !== undefined && forced !== '') {
    throw new ConfigError(
      `Invalid environment: RELAY_SANDBOX (must be true or false, got ${JSON.stringify(forced.slice(0, 20))})`,
    );
  }
  return REAL_CONFIG_VARS.every((name) => !env[name]);
}

export { generateSecret } from '../kernel/secret.js';

/** The block clients a sandbox enables unless asked for others. */
export const DEFAULT_SANDBOX_CLIENTS = ['aws_nacl', 'test_client'] as const;

/** `all`, or a comma-separated list of registered block clients; throws naming an unknown one. */
export function sandboxClients(raw: string | undefined): string[] {
  if (!raw?.trim()) return [...DEFAULT_SANDBOX_CLIENTS];
  const known = Object.keys(fakes);
  const ids =
    raw.trim() === 'all'
      ? known
      : raw
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean);
  const unknown = ids.find((id) => !known.includes(id));
  if (unknown) throw new Error(`unknown block client ${unknown} (known: ${known.join(', ')}, or all)`);
  return [...new Set(ids)];
}

export async function startSandbox(
  ports: { brain?: number; ec2?: number } = {},
  clients: readonly string[] = DEFAULT_SANDBOX_CLIENTS,
): Promise<Sandbox> {
  const brain = await startFakeBrain({ port: ports.brain ?? 0 });
  const seeded = seedSandboxScenario(brain);
  const ec2 = await startFakeEc2({ port: ports.ec2 ?? 0 });
  const naclId = ec2.naclIds[0] as string;
  const secret = generateSecret();
  // Every other client's fake on an ephemeral port, knowing the scenario's hosts as endpoints;
  // its asynchronous jobs (installs, isolations) finish after a second, as a quick product would.
  const hosts = sandboxHosts();
  const started: Record<string, RunningFake> = {};
  for (const id of clients) {
    if (id === 'aws_nacl' || id === 'test_client') continue;
    const fake = (fakes as Record<string, FakeDeclaration>)[id];
    if (fake) started[id] = await fake.start({ hosts, jobMs: 1000 });
  }
  const claims: Record<string, string> = {
    vectra_url: brain.url,
    vectra_api_version: 'v2.5',
    vectra_token: brain.apiToken,
    block_clients: clients.join(','),
    aws_region: 'us-east-1',
    aws_nacl_ids: naclId,
    aws_nacl_direction: 'both',
    CTR_ENTITIES_LIMIT: '50',
    ...Object.assign({}, ...Object.values(started).map((f) => f.claims)),
  };
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(secret));
  const env: Record<string, string> = {
    AUTH_MODE: 'hs256',
    SECRET_KEY: secret,
    ALLOW_LOOPBACK_UPSTREAMS: 'true',
    AWS_ENDPOINT_URL_EC2: ec2.url,
    // Dummy credentials: the fake EC2 only needs a signed request, and real keys must not be used here.
    AWS_ACCESS_KEY_ID: 'AKIASANDBOXSANDBOX00',
    AWS_SECRET_ACCESS_KEY: 'sandbox-secret-access-key-not-real',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(env, ...Object.values(started).map((f) => f.env ?? {}));
  return {
    brain,
    ec2,
    fakes: started,
    clients: [...clients],
    naclId,
    seeded,
    env,
    claims,
    jwt,
    close: async () => {
      await Promise.all([brain.close(), ec2.close(), ...Object.values(started).map((f) => f.close())]);
    },
  };
}
