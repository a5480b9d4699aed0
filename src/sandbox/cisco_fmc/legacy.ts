/**
 * The fake FMC's legacy surface (Global domain): host objects, network groups,
 * deployable devices, deployment requests and their tasks. Any change to a
 * host or group is a pending change on every device until a deployment of a
 * version at least as new completes; a device with a running deployment
 * refuses another. README.md names the sources and the assumptions.
 */
import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

const HOST_NAME = /^[A-Za-z0-9_.+-][A-Za-z0-9 _.+-]{0,63}$/;

export class FmcFault extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Host {
  id: string;
  name: string;
  value: string;
  description: string;
}
interface Group {
  id: string;
  name: string;
  objects: { id: string; name: string; type: string }[];
  literals: { type: string; value: string }[];
}
interface Device {
  id: string;
  name: string;
  deployedVersion: number;
  /** Group members as last deployed: what the device enforces. */
  enforced: Record<string, string[]>;
}
interface Task {
  id: string;
  status: 'Deploying' | 'Deployed' | 'Failed';
  version: number;
  devices: string[];
  timer: NodeJS.Timeout | undefined;
}

export class LegacyFmc {
  readonly hosts = new Map<string, Host>();
  readonly groups = new Map<string, Group>();
  readonly devices: Device[] = ['ftd-1', 'ftd-2'].map((name) => ({
    id: randomUUID(),
    name,
    deployedVersion: 0,
    enforced: {},
  }));
  readonly tasks = new Map<string, Task>();
  private version = 1;
  private failNext = false;

  constructor(private readonly jobMs: number) {
    const g: Group = {
      id: randomUUID(),
      name: 'Vectra-Block',
      objects: [],
      literals: [{ type: 'Host', value: '192.0.2.10' }],
    };
    this.groups.set(g.id, g);
    for (const d of this.devices) d.enforced = this.members();
    this.version = 1;
    for (const d of this.devices) d.deployedVersion = 1;
  }

  /** Group name → member names and literal values, sorted. */
  members(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.groups.values()].map((g) => [
        g.name,
        [...g.objects.map((o) => o.name), ...g.literals.map((l) => l.value)].sort(),
      ]),
    );
  }

  failNextDeployment(): void {
    this.failNext = true;
  }

  /** Completes every running deployment now. */
  settle(): void {
    for (const t of this.tasks.values()) if (t.status === 'Deploying') this.finish(t);
  }

  close(): void {
    for (const t of this.tasks.values()) clearTimeout(t.timer);
  }

  private finish(t: Task): void {
    clearTimeout(t.timer);
    if (t.status !== 'Deploying') return;
    if (this.failNext) {
      this.failNext = false;
      t.status = 'Failed';
      return;
    }
    t.status = 'Deployed';
    for (const d of this.devices) {
      if (t.devices.includes(d.id) && d.deployedVersion < t.version) {
        d.deployedVersion = t.version;
        d.enforced = this.members();
      }
    }
  }

  private changed(): void {
    this.version += 1;
  }

  /** Answers a Global-domain legacy route, or undefined when the path is not one. */
  handle(
    method: string,
    rest: string,
    query: URLSearchParams,
    body: unknown,
    readOnly: boolean,
  ): { status: number; json: unknown } | undefined {
    const write = method !== 'GET';
    if (write && readOnly) throw new FmcFault(403, 'User does not have permission.');
    if (rest === '/object/hosts' && method === 'GET') {
      const filter = /^nameOrValue:(.*)$/.exec(query.get('filter') ?? '')?.[1];
      const items = [...this.hosts.values()].filter(
        (h) => filter === undefined || h.name === filter || h.value === filter,
      );
      return {
        status: 200,
        json: { items: items.map((h) => ({ ...h, type: 'Host' })), paging: { count: items.length } },
      };
    }
    if (rest === '/object/hosts' && method === 'POST') {
      const b = (body ?? {}) as Partial<Host> & { type?: string };
      if (typeof b.name !== 'string' || !HOST_NAME.test(b.name) || b.type !== 'Host')
        throw new FmcFault(400, 'Invalid host object.');
      if (typeof b.value !== 'string' || !(isIPv4(b.value) || isIPv6(b.value)))
        throw new FmcFault(400, 'Invalid value.');
      if ([...this.hosts.values()].some((h) => h.name === b.name))
        throw new FmcFault(400, `The object name ${b.name} already exists.`);
      const h: Host = {
        id: randomUUID(),
        name: b.name,
        value: b.value,
        description: String(b.description ?? ''),
      };
      this.hosts.set(h.id, h);
      this.changed();
      return { status: 201, json: { ...h, type: 'Host' } };
    }
    const hostId = /^\/object\/hosts\/([^/]+)$/.exec(rest)?.[1];
    if (hostId && method === 'DELETE') {
      const h = this.hosts.get(hostId);
      if (!h) throw new FmcFault(404, 'Host not found.');
      if ([...this.groups.values()].some((g) => g.objects.some((o) => o.id === hostId)))
        throw new FmcFault(400, 'The object is in use.');
      this.hosts.delete(hostId);
      this.changed();
      return { status: 200, json: { ...h, type: 'Host' } };
    }
    if (rest === '/object/networkgroups' && method === 'GET') {
      const items = [...this.groups.values()].map((g) => ({ ...g, type: 'NetworkGroup' }));
      return { status: 200, json: { items, paging: { offset: 0, limit: 1000, count: items.length } } };
    }
    const groupId = /^\/object\/networkgroups\/([^/]+)$/.exec(rest)?.[1];
    if (groupId && method === 'PUT') {
      const g = this.groups.get(groupId);
      if (!g) throw new FmcFault(404, 'Network group not found.');
      const b = (body ?? {}) as Partial<Group> & { type?: string };
      if (b.id !== g.id || b.name !== g.name || b.type !== 'NetworkGroup')
        throw new FmcFault(400, 'Invalid network group.');
      const objects = Array.isArray(b.objects) ? b.objects : [];
      const literals = Array.isArray(b.literals) ? b.literals : [];
      if (objects.some((o) => !this.hosts.has(o.id))) throw new FmcFault(400, 'Unknown object in the group.');
      if (objects.length + literals.length === 0)
        throw new FmcFault(400, 'A network group needs at least one object or literal.');
      g.objects = objects.map((o) => ({ id: o.id, name: this.hosts.get(o.id)?.name ?? '', type: 'Host' }));
      g.literals = literals;
      this.changed();
      return { status: 200, json: { ...g, type: 'NetworkGroup' } };
    }
    if (rest === '/deployment/deployabledevices' && method === 'GET') {
      const items = this.devices
        .filter((d) => d.deployedVersion < this.version)
        .map((d) => ({
          type: 'DeployableDevice',
          name: d.name,
          version: String(this.version),
          canBeDeployed: true,
          device: { id: d.id, name: d.name, type: 'Device' },
        }));
      return { status: 200, json: { items, paging: { count: items.length } } };
    }
    if (rest === '/deployment/deploymentrequests' && method === 'POST') {
      const b = (body ?? {}) as { type?: string; version?: string; deviceList?: unknown[] };
      const version = Number(b.version);
      const ids = Array.isArray(b.deviceList) ? b.deviceList.map(String) : [];
      if (
        b.type !== 'DeploymentRequest' ||
        !Number.isInteger(version) ||
        version > this.version ||
        ids.length === 0
      ) {
        throw new FmcFault(400, 'Invalid deployment request.');
      }
      if (ids.some((id) => !this.devices.some((d) => d.id === id)))
        throw new FmcFault(400, 'Unknown device.');
      const busy = [...this.tasks.values()].some(
        (t) => t.status === 'Deploying' && t.devices.some((d) => ids.includes(d)),
      );
      if (busy) throw new FmcFault(400, 'A deployment is already in progress on the device.');
      const t: Task = { id: randomUUID(), status: 'Deploying', version, devices: ids, timer: undefined };
      t.timer = setTimeout(() => this.finish(t), this.jobMs);
      this.tasks.set(t.id, t);
      return {
        status: 202,
        json: {
          type: 'DeploymentRequest',
          version: String(version),
          deviceList: ids,
          metadata: { task: { id: t.id, taskType: 'DEVICE_DEPLOYMENT' } },
        },
      };
    }
    const taskId = /^\/job\/taskstatuses\/([^/]+)$/.exec(rest)?.[1];
    if (taskId && method === 'GET') {
      const t = this.tasks.get(taskId);
      if (!t) throw new FmcFault(404, 'Task not found.');
      return { status: 200, json: { id: t.id, taskType: 'DEVICE_DEPLOYMENT', status: t.status } };
    }
    return undefined;
  }
}
