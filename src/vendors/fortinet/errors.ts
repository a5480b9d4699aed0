/**
 * FortiOS REST answers to relay errors, naming the firewall. FortiOS reports
 * CMDB failures as `{"status":"error","http_status":…,"error":<code>}`, the
 * code being the CLI's return code; `cli_error` sometimes carries the CLI
 * text. Our words, never the upstream body (see README "Sources").
 */
import { authError, RelayError } from '../../kernel/errors.js';
import type { TransportResponse } from '../../kernel/upstream/transport.js';
import { PRODUCT } from './config.js';

/** FortiOS CLI return codes the client decides on. */
export const FOS = {
  NOT_FOUND: -3,
  MAX_ENTRIES: -4,
  EXISTS: -5,
  PERMISSION: -14,
  IN_USE: -23,
  EMPTY: -56,
  INVALID: -651,
} as const;

export interface FortiBody {
  readonly status?: string;
  readonly http_status?: number;
  readonly error?: number;
  readonly cli_error?: string;
  readonly results?: unknown;
}

export function parseBody(res: TransportResponse): FortiBody {
  try {
    const b = JSON.parse(res.text) as unknown;
    return typeof b === 'object' && b !== null ? (b as FortiBody) : {};
  } catch {
    return {};
  }
}

/** Workspace mode: another administrator's open configuration transaction holds the object. */
const WORKSPACE = /transaction|workspace/i;

/** The relay error for a FortiOS answer we do not decide on; `what` says what we were doing. */
export function fortiError(firewall: string, res: TransportResponse, what: string): RelayError {
  const fw = `${PRODUCT} ${firewall}`;
  const b = parseBody(res);
  if (res.status === 401) {
    return authError(`${fw} refused the API key (check fortinet_api_key and the API admin's trusted hosts).`);
  }
  if (res.status === 403 || b.error === FOS.PERMISSION) {
    return new RelayError(
      'permission denied',
      `Permission denied by ${fw} while ${what}: the REST API admin profile needs read-write on Firewall > Address.`,
    );
  }
  if (typeof b.cli_error === 'string' && WORKSPACE.test(b.cli_error)) {
    return new RelayError(
      'state conflict',
      `${fw} is in workspace mode: another administrator's configuration transaction holds the object while ${what}. Commit or abort it on the FortiGate, then run the action again.`,
    );
  }
  switch (b.error) {
    case FOS.MAX_ENTRIES:
      return new RelayError(
        'state conflict',
        `${fw} reached its maximum number of entries while ${what} (FortiOS error ${FOS.MAX_ENTRIES}).`,
      );
    case FOS.IN_USE:
      return new RelayError('state conflict', `${fw}: the object is in use while ${what}.`);
    case FOS.INVALID:
      return new RelayError('invalid argument', `${fw} rejected a value as invalid while ${what}.`);
    case FOS.NOT_FOUND:
      return new RelayError('not found', `${fw}: an object it needs was not found while ${what}.`);
    case FOS.EXISTS:
      return new RelayError('state conflict', `${fw}: a duplicate entry exists while ${what}.`);
  }
  if (res.status === 404) return new RelayError('not found', `Not found in ${fw} while ${what}.`);
  if (res.status === 429 || res.status >= 500) {
    if (typeof b.error === 'number' && res.status === 500) {
      return new RelayError('unknown', `${fw} refused ${what} (FortiOS error ${b.error}).`);
    }
    return statusFallback(fw, res.status);
  }
  return new RelayError(
    res.status === 400 || res.status === 424 ? 'invalid argument' : 'unknown',
    `${fw} refused ${what} (HTTP ${res.status}${typeof b.error === 'number' ? `, FortiOS error ${b.error}` : ''}).`,
  );
}

function statusFallback(fw: string, status: number): RelayError {
  if (status === 429) {
    return new RelayError(
      'too many requests',
      `Too many requests to ${fw} have been made. Please, try again later.`,
    );
  }
  return new RelayError(
    'service unavailable',
    `The ${fw} is unavailable (HTTP ${status}). Please, try again later.`,
  );
}
