/**
 * Carbon Black Cloud live response (v6): sessions, commands and file content
 * under `/appservices/v6/orgs/{org}/liveresponse/sessions`. A session waits
 * for the sensor to check in (`PENDING` → `ACTIVE`, up to its
 * `check_in_timeout`), commands run asynchronously (`PENDING` → `COMPLETE` or
 * `ERROR`), and a completed `get file` is downloaded from `files/{id}/content`.
 * Paths follow the vendor SDK's `LiveResponseSessionManager` (see README.md).
 */
import * as z from 'zod/mini';
import { RelayError } from '../../kernel/errors.js';
import type { TransportResponse } from '../../kernel/upstream/transport.js';
import type { CbApi } from './client.js';
import { PRODUCT } from './config.js';

// Ids we put back into a path: checked so that an answer can never steer a URL.
const SESSION_ID = /^\d{1,20}:\d{1,20}$/;
const FILE_ID = /^[\w.-]{1,100}$/;

const SessionSchema = z.object({ id: z.string().check(z.regex(SESSION_ID)), status: z.string() });
const CommandSchema = z.object({
  id: z.number(),
  status: z.string(),
  file_details: z.optional(z.object({ file_id: z.string().check(z.regex(FILE_ID)) })),
  processes: z.optional(z.array(z.record(z.string(), z.unknown()))),
  result_desc: z.optional(z.string()),
});

export type SessionStatus = 'PENDING' | 'ACTIVE' | 'GONE' | 'OTHER';
export type CommandStatus = 'PENDING' | 'COMPLETE' | 'ERROR' | 'GONE';

export interface CommandState {
  readonly status: CommandStatus;
  readonly fileId?: string;
  readonly processes?: readonly Record<string, unknown>[];
  readonly error?: string;
}

const sessions = (sid?: string) => `liveresponse/sessions${sid === undefined ? '' : `/${sid}`}`;

/** Starts a session with the device's sensor; answers its id (status `PENDING` until the sensor checks in). */
export async function openSession(api: CbApi, deviceId: number): Promise<string> {
  const res = (await api.send('POST', sessions(), { device_id: deviceId })) as TransportResponse;
  return (await api.json(SessionSchema, res, 'live response session')).id;
}

/** Where a session stands; `GONE` when the server no longer knows it (closed or never established in time). */
export async function sessionStatus(api: CbApi, sid: string): Promise<SessionStatus> {
  const res = await api.send('GET', sessions(sid), undefined, { allow404: true });
  if (!res) return 'GONE';
  const s = (await api.json(SessionSchema, res, 'live response session')).status.toUpperCase();
  return s === 'PENDING' || s === 'ACTIVE' ? s : s === 'CLOSED' || s === 'TIMEOUT' ? 'GONE' : 'OTHER';
}

/** Queues one command; answers its id and, for `get file`, the file id to download later. */
export async function runCommand(
  api: CbApi,
  sid: string,
  command: { name: 'process list' } | { name: 'get file'; path: string },
): Promise<{ id: number; fileId?: string }> {
  const res = (await api.send('POST', `${sessions(sid)}/commands`, {
    ...command,
    session_id: sid,
  })) as TransportResponse;
  const c = await api.json(CommandSchema, res, 'live response command');
  if (command.name === 'get file' && !c.file_details) {
    throw new RelayError(
      'unknown',
      `Unexpected response from ${PRODUCT}: a get file command without a file id.`,
    );
  }
  return { id: c.id, ...(c.file_details ? { fileId: c.file_details.file_id } : {}) };
}

export async function commandState(api: CbApi, sid: string, commandId: number): Promise<CommandState> {
  const res = await api.send('GET', `${sessions(sid)}/commands/${commandId}`, undefined, { allow404: true });
  if (!res) return { status: 'GONE' };
  const c = await api.json(CommandSchema, res, 'live response command');
  const status = c.status.toUpperCase();
  if (status === 'COMPLETE') {
    return {
      status,
      ...(c.file_details ? { fileId: c.file_details.file_id } : {}),
      ...(c.processes ? { processes: c.processes } : {}),
    };
  }
  if (status === 'ERROR' || status === 'CANCELLED') {
    return { status: 'ERROR', error: (c.result_desc ?? status.toLowerCase()).slice(0, 200) };
  }
  return { status: 'PENDING' };
}

/** The transferred file's bytes. */
export async function fileContent(api: CbApi, sid: string, fileId: string): Promise<Buffer> {
  const res = (await api.send('GET', `${sessions(sid)}/files/${fileId}/content`)) as TransportResponse;
  return res.bytes ?? Buffer.from(res.text, 'utf8');
}

/** Closes a session; one the server no longer knows is closed already. */
export async function closeSession(api: CbApi, sid: string): Promise<void> {
  await api.send('DELETE', sessions(sid), undefined, { allow404: true });
}
