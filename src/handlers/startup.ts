/**
 * Start-up problems of the local server as one line naming the variable and
 * what to do, never a stack trace: a bad setting, a missing HS256 key, a port
 * already in use.
 */
import { ConfigError } from '../kernel/config.js';

/** A whole port number from the environment, or the default; 0 picks a free port. */
export function portFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new ConfigError(
      `Invalid environment: ${name} (must be a port number from 0 to 65535, got ${JSON.stringify(raw.slice(0, 20))})`,
    );
  }
  return port;
}

/** The variable holding each port the process listens on, to name it when the port is taken. */
export type PortNames = ReadonlyMap<number, string>;

/** One line for any start-up failure: the first line of an unexpected error, never its stack. */
export function startupMessage(err: unknown, ports: PortNames): string {
  if (err instanceof ConfigError) return `${err.message}. Fix the variable and start again.`;
  const e = err as { code?: unknown; port?: unknown };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES') {
    const port = typeof e.port === 'number' ? e.port : undefined;
    const name = (port !== undefined && ports.get(port)) || 'PORT';
    const why = e.code === 'EADDRINUSE' ? 'is already in use' : 'may not be opened by this user';
    return `${name}: port ${port ?? '?'} ${why}; stop what holds it or choose another with ${name}=<port> (0 picks a free one).`;
  }
  return `Could not start: ${err instanceof Error ? err.name : 'unknown error'}${err instanceof Error && err.message ? `: ${err.message.split('\n')[0]?.slice(0, 200)}` : ''}`;
}
