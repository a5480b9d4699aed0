/**
 * A stateful fake Cisco ASA HTTPS management interface (the CLI over HTTP that
 * ASDM uses) on 127.0.0.1: `GET /admin/exec/<command>[/<command>…]` and
 * `GET /admin/config/<command>/<command>…`, Basic auth accepted only from
 * allowed User-Agents, privilege levels, a small CLI (network objects,
 * network object-groups, access-lists referencing them, `write memory`) and
 * the CLI's error text with HTTP 200. README.md names the source of each rule.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv4, isIPv6 } from 'node:net';

const NAME = /^[A-Za-z0-9_.+-]{1,64}$/;
const INVALID = "ERROR: % Invalid input detected at '^' marker.";
const DENIED = 'Command authorization failed';

export interface AsaObject {
  host: string | undefined;
  description: string | undefined;
}

export interface AsaCall {
  readonly kind: 'exec' | 'config';
  readonly commands: readonly string[];
  readonly status: number;
  readonly userAgent: string;
}

export interface FakeAsaOptions {
  readonly port?: number;
  readonly latencyMs?: number;
  /** The customer's group (default `VECTRA_BLOCK`), seeded with one member of theirs and used by a deny ACL. */
  readonly group?: string;
  /** Network objects the ASA holds at most (model dependent on real ASAs). */
  readonly maxObjects?: number;
}

export interface FakeAsa {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly userAgent: string;
  readonly group: string;
  readonly calls: AsaCall[];
  readonly objects: Map<string, AsaObject>;
  readonly groups: Map<string, string[]>;
  /** True when the running configuration equals the saved one. */
  saved(): boolean;
  writes(): number;
  addUser(user: string, password: string, privilege: number): void;
  /** Runs configuration commands as an administrator at the console would. */
  configure(commands: readonly string[]): string;
  /** The next `count` requests answer this HTTP status. */
  injectStatus(status: number, count?: number): void;
  snapshot(): unknown;
  close(): Promise<void>;
}

export async function startFakeAsa(options: FakeAsaOptions = {}): Promise<FakeAsa> {
  const username = 'vectra';
  const password = 'Fake-ASA-password-1';
  const userAgent = 'vectra-relay';
  const group = options.group ?? 'VECTRA_BLOCK';
  const users = new Map([[username, { password, privilege: 15 }]]);
  // `show running-config all http`: the defaults plus the one the README asks for.
  const agents = new Set(['ASDM', 'CSM', 'REST API Agent', userAgent]);
  const objects = new Map<string, AsaObject>();
  const groups = new Map<string, string[]>([[group, ['host 192.0.2.10']]]);
  const acl = [
    `access-list ${group} extended deny ip object-group ${group} any`,
    `access-list ${group} extended deny ip any object-group ${group}`,
    `access-list ${group} extended permit ip any any`,
  ];
  const calls: AsaCall[] = [];
  let injections: { status: number; remaining: number }[] = [];
  let startup = '';
  let writeCount = 0;

  const usedByAcl = (g: string) =>
    acl.some((l) => l.includes(`object-group ${g} `) || l.endsWith(`object-group ${g}`));
  const inUse = (name: string) =>
    [...groups.values()].some((m) => m.includes(`object ${name}`)) ||
    acl.some((l) => l.includes(`object ${name} `));

  const runningConfig = () =>
    [
      ...[...objects].map(([n, o]) => objectText(n, o)),
      ...[...groups].map(([g, m]) => groupText(g, m)),
      ...acl,
    ].join('\n');

  const objectText = (n: string, o: AsaObject) =>
    [
      `object network ${n}`,
      ...(o.host ? [` host ${o.host}`] : []),
      ...(o.description ? [` description ${o.description}`] : []),
    ].join('\n');
  const groupText = (g: string, m: string[]) =>
    [`object-group network ${g}`, ...m.map((x) => ` network-object ${x}`)].join('\n');

  const exec = (cmd: string, privilege: number): string => {
    if (cmd === 'show version')
      return 'Cisco Adaptive Security Appliance Software Version 9.20(2)\nDevice Manager Version 7.20(2)\n\nfake-asa up 12 days 3 hours\n';
    if (cmd === 'show running-config object network')
      return [...objects].map(([n, o]) => objectText(n, o)).join('\n') + (objects.size ? '\n' : '');
    const id = /^show running-config object-group id (\S+)$/.exec(cmd);
    if (id) {
      const m = groups.get(id[1] as string);
      return m ? `${groupText(id[1] as string, m)}\n` : '';
    }
    if (cmd === 'show running-config') return `${runningConfig()}\n`;
    if (cmd === 'write memory') {
      if (privilege < 15) return `${DENIED}\n`;
      startup = runningConfig();
      writeCount += 1;
      return `Building configuration...\nCryptochecksum: 6f1c0a2e 9b7d4c11 a0e3f5d2 7c88b901\n\n${startup.length} bytes copied in 0.110 secs\n[OK]\n`;
    }
    return `${INVALID}\n`;
  };

  /** One configuration session: commands in order, sub-commands apply to the mode the last mode command entered. */
  const config = (commands: readonly string[], privilege: number): string => {
    const out: string[] = [];
    let mode: { kind: 'object' | 'group'; name: string } | undefined;
    for (const raw of commands) {
      const cmd = raw.trim();
      if (privilege < 15) {
        out.push(DENIED);
        continue;
      }
      const host = mode?.kind === 'object' ? /^host (\S+)$/.exec(cmd) : null;
      if (mode && host) {
        if (!isIPv4(host[1] as string) && !isIPv6(host[1] as string)) out.push(INVALID);
        else (objects.get(mode.name) as AsaObject).host = host[1];
        continue;
      }
      const description = mode ? /^description (.{1,200})$/.exec(cmd) : null;
      if (mode && description) {
        if (mode.kind === 'object') (objects.get(mode.name) as AsaObject).description = description[1];
        continue;
      }
      let m = mode?.kind === 'group' ? /^(no )?network-object (object (\S+)|host (\S+))$/.exec(cmd) : null;
      if (mode && m) {
        const members = groups.get(mode.name) as string[];
        const member = m[3] ? `object ${m[3]}` : `host ${m[4]}`;
        if (m[4] && !isIPv4(m[4]) && !isIPv6(m[4])) out.push(INVALID);
        else if (m[1]) {
          if (!members.includes(member))
            out.push(`ERROR: ${member} is not a member of object-group ${mode.name}`);
          else if (members.length === 1 && usedByAcl(mode.name))
            out.push(
              `ERROR: Cannot remove the last member of object-group ${mode.name}; it is used by an access-list`,
            );
          else members.splice(members.indexOf(member), 1);
        } else if (m[3] && !objects.has(m[3])) out.push(`ERROR: Object ${m[3]} does not exist`);
        else if (members.includes(member))
          out.push(`WARNING: Duplicate ${member} in object-group ${mode.name} ignored`);
        else members.push(member);
        continue;
      }
      m = /^object network (\S+)$/.exec(cmd);
      if (m) {
        const name = m[1] as string;
        if (!NAME.test(name)) {
          out.push(INVALID);
          mode = undefined;
          continue;
        }
        if (!objects.has(name)) {
          if (objects.size >= (options.maxObjects ?? 10_000)) {
            out.push('ERROR: Maximum number of network objects reached');
            mode = undefined;
            continue;
          }
          objects.set(name, { host: undefined, description: undefined });
        }
        mode = { kind: 'object', name };
        continue;
      }
      m = /^no object network (\S+)$/.exec(cmd);
      if (m) {
        mode = undefined;
        if (!objects.has(m[1] as string)) out.push(`ERROR: Object (${m[1]}) does not exist`);
        else if (inUse(m[1] as string))
          out.push(`ERROR: unable to delete object (${m[1]}). Object is being used.`);
        else objects.delete(m[1] as string);
        continue;
      }
      m = /^object-group network (\S+)$/.exec(cmd);
      if (m) {
        if (!NAME.test(m[1] as string)) {
          out.push(INVALID);
          mode = undefined;
          continue;
        }
        if (!groups.has(m[1] as string)) groups.set(m[1] as string, []);
        mode = { kind: 'group', name: m[1] as string };
        continue;
      }
      mode = undefined;
      out.push(INVALID);
    }
    return out.length ? `${out.join('\n')}\n` : '';
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawPath = (req.url ?? '/').split('?')[0] as string;
    if (req.method === 'GET' && rawPath === '/_state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(snapshot()));
      return;
    }
    const ua = String(req.headers['user-agent'] ?? '');
    const m = /^\/admin\/(exec|config)((?:\/[^/]*)+)$/.exec(rawPath);
    const kind = (m?.[1] ?? 'exec') as 'exec' | 'config';
    let commands: string[] = [];
    try {
      commands = (m?.[2] ?? '')
        .split('/')
        .slice(1)
        .filter(Boolean)
        .map((c) => decodeURIComponent(c));
    } catch {
      commands = [];
    }
    const send = (status: number, text: string, headers: Record<string, string> = {}) => {
      calls.push({ kind, commands, status, userAgent: ua });
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
    };
    if ((options.latencyMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.latencyMs));
    const inj = injections.find((i) => i.remaining > 0);
    if (inj) {
      inj.remaining -= 1;
      send(inj.status, '');
      return;
    }
    const [user, pass] = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    const u = users.get(user ?? '');
    // Basic auth counts only from an allowed User-Agent (cisco-sa-20190501-asa-csrf).
    if (
      !String(req.headers.authorization ?? '').startsWith('Basic ') ||
      !agents.has(ua) ||
      !u ||
      u.password !== pass
    ) {
      send(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="Authentication"' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') return send(405, '');
    if (!m || commands.length === 0) return send(404, '');
    send(
      200,
      kind === 'exec' ? commands.map((c) => exec(c, u.privilege)).join('') : config(commands, u.privilege),
    );
  };

  const snapshot = () => ({
    group: [...(groups.get(group) ?? [])].sort(),
    objects: Object.fromEntries(
      [...objects].sort(([a], [b]) => a.localeCompare(b)).map(([n, o]) => [n, o.host ?? null]),
    ),
  });

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  startup = runningConfig();

  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    userAgent,
    group,
    calls,
    objects,
    groups,
    saved: () => startup === runningConfig(),
    writes: () => writeCount,
    addUser: (user, pass, privilege) => users.set(user, { password: pass, privilege }),
    configure: (commands) => config(commands, 15),
    injectStatus: (status, count = 1) => injections.push({ status, remaining: count }),
    snapshot,
    close: () =>
      new Promise<void>((resolve, reject) => {
        injections = [];
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
