/**
 * `npm start` with a bad environment, as a real process: it stops at once
 * with one line on stderr naming the variable, and no stack trace.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/handlers/server.ts'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'SILENT', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running: ${stdout}${stderr}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

let taken: Server;
let takenPort = 0;
beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => taken.close(() => r())));

const HS256 = { AUTH_MODE: 'hs256', SECRET_KEY: 'k'.repeat(64) };
const SANDBOX = { RELAY_SANDBOX: 'true', SANDBOX_BRAIN_PORT: '0', SANDBOX_EC2_PORT: '0' };

describe('start-up errors', () => {
  it.each([
    [
      'hs256 without a key',
      () => ({ AUTH_MODE: 'hs256' }),
      /^relay: Invalid environment: SECRET_KEY \(.*SECRET_KEY_ARN/,
    ],
    ['a bad PORT', () => ({ ...HS256, PORT: 'banana' }), /^relay: Invalid environment: PORT \(/],
    ['a bad LOG_LEVEL', () => ({ ...HS256, LOG_LEVEL: 'LOUD' }), /^relay: Invalid environment: LOG_LEVEL \(/],
    [
      'a bad sandbox port',
      () => ({ ...SANDBOX, SANDBOX_BRAIN_PORT: '99999' }),
      /^relay: Invalid environment: SANDBOX_BRAIN_PORT \(/,
    ],
    [
      'RELAY_SANDBOX other than true/false',
      () => ({ RELAY_SANDBOX: 'yes' }),
      /^relay: Invalid environment: RELAY_SANDBOX \(must be true or false/,
    ],
    [
      'a plain-http JWKS host that is not loopback',
      () => ({ AUTH_MODE: 'rs256', JWKS_ALLOWED_HOSTS: 'visibility.amp.cisco.com,http://jwks.example.com' }),
      /^relay: Invalid environment: JWKS_ALLOWED_HOSTS \(http:\/\/jwks\.example\.com is plain http/,
    ],
    [
      'PORT in use',
      () => ({ ...HS256, PORT: String(takenPort) }),
      /^relay: PORT: port \d+ is already in use; .*PORT=<port>/,
    ],
    [
      'a sandbox port in use',
      () => ({ ...SANDBOX, SANDBOX_EC2_PORT: String(takenPort) }),
      /^relay: SANDBOX_EC2_PORT: port \d+ is already in use; .*SANDBOX_EC2_PORT=<port>/,
    ],
  ])('stops on %s with one line naming the variable', async (_name, env, line) => {
    const { code, stderr, stdout } = await run(env());
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(line);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).not.toContain('listening');
  });

  it('accepts a plain-http loopback JWKS origin (tests, local XDR stand-ins)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/handlers/server.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        LOG_LEVEL: 'SILENT',
        PORT: '0',
        AUTH_MODE: 'rs256',
        RELAY_PUBLIC_URL: 'http://127.0.0.1:9090',
        JWKS_ALLOWED_HOSTS: 'http://127.0.0.1:8081',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('listening')) resolve(text);
        });
        child.on('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      expect(out).toContain('listening on http://127.0.0.1:');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
