/**
 * The ASA HTTP interface calls the `cisco_asa_http` client makes (the CLI over
 * HTTPS that ASDM uses, not the separate REST API agent), over the shared
 * transport:
 *
 * - `GET /admin/exec/<command>` for `show running-config …` and `write memory`;
 * - `GET /admin/config/<command>/<command>/…` for configuration, each
 *   command URL-encoded, mode commands (`object network …`) followed by the
 *   commands of that mode in the same call.
 *
 * Basic auth in the header, from the User-Agent the ASA allows it from. The
 * ASA answers CLI errors as text with HTTP 200: those are mapped here.
 */
import type { RequestContext } from '../../kernel/context.js';
import { authError, RelayError } from '../../kernel/errors.js';
import { Transport } from '../../kernel/upstream/transport.js';
import { ASA_PRODUCT, type AsaConfig } from './config.js';

/** Longest URL we send: ASA's limit is undocumented, so batches stay well below common 8 KB limits. */
export const MAX_URL_CHARS = 4000;

export interface NetworkObject {
  readonly name: string;
  readonly host: string | undefined;
  readonly description: string | undefined;
}

/** CLI error text in our words (README.md, "Errors"). */
export function cliError(output: string, what: string): RelayError | undefined {
  const line = output
    .split(/\r?\n/)
    .find((l) => /^\s*(ERROR:|% ?Invalid|Command authorization failed)/i.test(l));
  if (!line) return undefined;
  if (/authorization failed/i.test(line)) {
    return new RelayError(
      'permission denied',
      `${ASA_PRODUCT} denied the command to ${what}: the user needs privilege 15.`,
    );
  }
  if (/does not exist|not found/i.test(line)) {
    return new RelayError('not found', `${ASA_PRODUCT} does not have what is needed to ${what}.`);
  }
  if (/limit|maximum|exceed/i.test(line)) {
    return new RelayError('state conflict', `${ASA_PRODUCT} reached an object limit when trying to ${what}.`);
  }
  if (/invalid input|incomplete command|invalid/i.test(line)) {
    return new RelayError(
      'invalid argument',
      `${ASA_PRODUCT} refused a command as invalid when trying to ${what}.`,
    );
  }
  return new RelayError('unknown', `${ASA_PRODUCT} refused a command when trying to ${what}.`);
}

/** Parses `show running-config object network` output into objects by name. */
export function parseObjects(text: string): Map<string, NetworkObject> {
  const out = new Map<string, NetworkObject>();
  let current: { name: string; host?: string; description?: string } | undefined;
  const flush = () => {
    if (current)
      out.set(current.name, { name: current.name, host: current.host, description: current.description });
  };
  for (const line of text.split(/\r?\n/)) {
    const head = /^object network (\S+)\s*$/.exec(line);
    if (head) {
      flush();
      current = { name: head[1] as string };
      continue;
    }
    if (!/^\s/.test(line)) {
      flush();
      current = undefined;
      continue;
    }
    if (!current) continue;
    const host = /^\s+host (\S+)\s*$/.exec(line);
    if (host) current.host = host[1];
    const description = /^\s+description (.*)$/.exec(line);
    if (description) current.description = description[1]?.trimEnd();
  }
  flush();
  return out;
}

/** Parses `show running-config object-group id <group>`: undefined when the group is absent. */
export function parseGroup(
  text: string,
  group: string,
): { objects: Set<string>; members: number } | undefined {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `object-group network ${group}`);
  if (start < 0) return undefined;
  const objects = new Set<string>();
  let members = 0;
  for (const line of lines.slice(start + 1)) {
    if (!/^\s/.test(line)) break;
    const m = /^\s+network-object (.*)$/.exec(line);
    if (!m) continue;
    members += 1;
    const obj = /^object (\S+)\s*$/.exec(m[1] as string);
    if (obj) objects.add(obj[1] as string);
  }
  return { objects, members };
}

export class AsaApi {
  private readonly transport: Transport;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly cfg: AsaConfig,
    ctx: RequestContext,
  ) {
    const basic = Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64');
    this.transport = new Transport(
      {
        product: ASA_PRODUCT,
        urlField: 'cisco_asa_http_url',
        baseUrl: cfg.url,
        secrets: [cfg.password, basic],
        ...(cfg.caBundle ? { ca: cfg.caBundle } : {}),
      },
      ctx,
    );
    this.headers = { authorization: `Basic ${basic}`, 'user-agent': cfg.userAgent, accept: 'text/plain' };
  }

  private async get(path: string, idempotent: boolean, what: string): Promise<string> {
    const res = await this.transport.send({
      method: 'GET',
      url: `${this.cfg.url}${path}`,
      headers: this.headers,
      idempotent,
    });
    if (res.status === 401) {
      throw authError(
        `${ASA_PRODUCT} refused the username or password, or does not allow Basic auth from User-Agent ${this.cfg.userAgent}.`,
      );
    }
    if (res.status === 403)
      throw new RelayError('permission denied', `${ASA_PRODUCT} denied the request to ${what}.`);
    if (res.status !== 200) throw this.transport.statusError(res);
    return res.text;
  }

  /** One exec command; its CLI output. */
  exec(command: string, what: string): Promise<string> {
    return this.get(`/admin/exec/${encodeURIComponent(command)}`, command.startsWith('show '), what);
  }

  /**
   * Configuration commands, in units that must stay together (a mode command
   * and its sub-commands); as few calls as the URL limit allows. Answers the
   * output of each call.
   */
  async config(units: readonly (readonly string[])[], what: string): Promise<string[]> {
    const outputs: string[] = [];
    let path = '/admin/config';
    for (const unit of units) {
      const part = unit.map((c) => `/${encodeURIComponent(c)}`).join('');
      if (path.length + part.length > MAX_URL_CHARS && path !== '/admin/config') {
        outputs.push(await this.get(path, false, what));
        path = '/admin/config';
      }
      path += part;
    }
    if (path !== '/admin/config') outputs.push(await this.get(path, false, what));
    return outputs;
  }

  /** Saves the running configuration: once per batch. */
  async writeMemory(): Promise<void> {
    const out = await this.exec('write memory', 'save the configuration');
    const err = cliError(out, 'save the configuration');
    if (err) throw err;
    if (!/\[OK\]/.test(out)) {
      throw new RelayError(
        'internal error',
        `${ASA_PRODUCT} did not confirm saving the configuration (write memory).`,
      );
    }
  }
}
