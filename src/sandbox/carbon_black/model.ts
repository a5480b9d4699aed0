/**
 * The fake Carbon Black Cloud's state: devices with their quarantine state and
 * pending device actions, and live-response sessions with their commands and
 * transferred files. Time is lazy: pending work is applied when a request (or
 * `settle()`) looks at it, so no timers keep the process alive.
 * Sources for each behaviour: README.md.
 */

export interface FakeProcess {
  readonly pid: number;
  readonly path: string;
  readonly command_line: string;
  readonly username: string;
}

export interface FakeDevice {
  id: number;
  name: string;
  last_internal_ip_address: string;
  os: 'WINDOWS' | 'LINUX' | 'MAC';
  status: string;
  quarantined: boolean;
  /** An offline sensor never checks in: its quarantine and sessions stay pending. */
  online: boolean;
  /** Files the sensor can hand to `get file` (path → content). */
  files: Record<string, string>;
  processes: FakeProcess[];
}

/** A device action waiting for the sensor's check-in: the desired state, not a queue. */
export interface PendingToggle {
  readonly deviceId: number;
  readonly on: boolean;
  readonly due: number;
}

export type SessionStatus = 'PENDING' | 'ACTIVE' | 'CLOSED' | 'TIMEOUT';

export interface FakeCommand {
  readonly id: number;
  readonly name: string;
  readonly path?: string;
  due: number;
  readonly fileId?: string;
  /** Set for a `get file` of a path the device does not have. */
  readonly missing?: boolean;
}

export interface FakeSession {
  readonly id: string;
  readonly deviceId: number;
  status: SessionStatus;
  readonly created: number;
  readonly due: number;
  /** Seconds the server waits for the sensor to check in. */
  readonly checkInTimeout: number;
  readonly commands: FakeCommand[];
  /** file id → content, filled when a `get file` completes. */
  readonly files: Map<string, string>;
}

/** Commands every session lists as supported (the fake runs only the first two). */
export const SUPPORTED_COMMANDS = [
  'process list',
  'get file',
  'directory list',
  'delete file',
  'put file',
  'create process',
  'kill',
  'memdump',
  'reg enum key',
  'reg query value',
];

export const RUNNABLE_COMMANDS = new Set(['process list', 'get file']);

export class CbState {
  readonly devices = new Map<number, FakeDevice>();
  readonly pending = new Map<number, PendingToggle>();
  readonly sessions = new Map<string, FakeSession>();
  private nextSession = 1;
  private nextCommand = 1;
  private nextFile = 1;

  constructor(
    /** How long an action or session waits for the sensor (ms). */
    public jobMs: number,
    /** Session check-in timeout (seconds), as the real server's 900 s default. */
    public checkInTimeoutS = 900,
    /** Test clock. */
    public now: () => number = Date.now,
  ) {}

  addDevice(d: Omit<FakeDevice, 'files' | 'processes'> & Partial<FakeDevice>): FakeDevice {
    const device: FakeDevice = {
      files: { 'C:\\Windows\\System32\\drivers\\etc\\hosts': '127.0.0.1 localhost\n' },
      processes: [
        { pid: 4, path: 'System', command_line: '', username: 'NT AUTHORITY\\SYSTEM' },
        { pid: 812, path: 'C:\\Windows\\explorer.exe', command_line: 'explorer.exe', username: 'CORP\\user' },
      ],
      ...d,
    };
    this.devices.set(device.id, device);
    return device;
  }

  /** Applies every due check-in: device toggles and session/command progress. */
  tick(force = false): void {
    const now = this.now();
    for (const [id, p] of this.pending) {
      const d = this.devices.get(id);
      if (d?.online && (force || now >= p.due)) {
        d.quarantined = p.on;
        this.pending.delete(id);
      }
    }
    for (const s of this.sessions.values()) {
      const d = this.devices.get(s.deviceId);
      if (s.status === 'PENDING') {
        if (d?.online && (force || now >= s.due)) s.status = 'ACTIVE';
        else if (now - s.created >= s.checkInTimeout * 1000) s.status = 'TIMEOUT';
      }
    }
  }

  /** Completes everything an online sensor would do at its next check-in, now. */
  settle(): void {
    this.tick(true);
    for (const s of this.sessions.values()) {
      if (this.devices.get(s.deviceId)?.online) for (const c of s.commands) c.due = 0;
    }
  }

  toggle(deviceId: number, on: boolean): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    if (d.quarantined === on) this.pending.delete(deviceId);
    else this.pending.set(deviceId, { deviceId, on, due: this.now() + this.jobMs });
  }

  openSession(deviceId: number): FakeSession {
    const s: FakeSession = {
      id: `${this.nextSession++}:${deviceId}`,
      deviceId,
      status: 'PENDING',
      created: this.now(),
      due: this.now() + this.jobMs,
      checkInTimeout: this.checkInTimeoutS,
      commands: [],
      files: new Map(),
    };
    this.sessions.set(s.id, s);
    return s;
  }

  addCommand(s: FakeSession, name: string, path?: string): FakeCommand {
    const d = this.devices.get(s.deviceId) as FakeDevice;
    const isGet = name === 'get file';
    const missing = isGet && path !== undefined && !(path in d.files);
    const c: FakeCommand = {
      id: this.nextCommand++,
      name,
      ...(path === undefined ? {} : { path }),
      due: this.now() + Math.min(this.jobMs, 50),
      ...(isGet ? { fileId: `file-${this.nextFile++}` } : {}),
      ...(missing ? { missing } : {}),
    };
    s.commands.push(c);
    return c;
  }

  /** A command's status now; a completed `get file` makes its content downloadable. */
  commandStatus(s: FakeSession, c: FakeCommand): 'PENDING' | 'COMPLETE' | 'ERROR' {
    if (this.now() < c.due || !this.devices.get(s.deviceId)?.online) return 'PENDING';
    if (c.missing) return 'ERROR';
    if (c.fileId && c.path !== undefined) {
      s.files.set(c.fileId, this.devices.get(s.deviceId)?.files[c.path] ?? '');
    }
    return 'COMPLETE';
  }
}
