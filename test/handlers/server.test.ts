/** `npm start` as a user runs it: a real process, sandbox or real configuration. */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

function start(env: Record<string, string>): Promise<{ url: string; output: string }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/handlers/server.ts'], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'SILENT', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no answer: ${output}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      // The sandbox banner follows the listening line; wait for its last line.
      if (m?.[1] && (!env.RELAY_SANDBOX || output.includes('/_state\n'))) {
        clearTimeout(timer);
        resolve({ url: m[1], output });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
}

describe('local server', () => {
  it('starts the sandbox and prints a JWT that works against it', async () => {
    const { url, output } = await start({
      RELAY_SANDBOX: 'true',
      SANDBOX_BRAIN_PORT: '0',
      SANDBOX_EC2_PORT: '0',
    });
    const jwt = /export JWT=(\S+)/.exec(output)?.[1] ?? '';
    const res = await fetch(`${url}/health`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` } });
    expect(await res.json()).toEqual({ data: { status: 'ok' } });
  });

  it('serves the relay alone with real configuration', async () => {
    const { url, output } = await start({ AUTH_MODE: 'hs256', SECRET_KEY: 'k'.repeat(64) });
    expect(output).not.toContain('Sandbox mode');
    expect(await (await fetch(`${url}/version`, { method: 'POST' })).json()).toEqual({
      version: expect.any(String),
    });
  });
});
