/**
 * The relay's closed set of errors and the one place that turns them into the
 * Threat Response wire envelope. Routes and vendors throw `RelayError`; nothing
 * else builds an `errors` array by hand. Anything that is not a `RelayError`
 * becomes a generic `unknown` error so that no upstream detail, stack trace or
 * secret reaches the caller by accident.
 */

/** Codes the platform understands (relay-contract.md §2.2). */
export type ErrorCode =
  | 'authorization error'
  | 'invalid argument'
  | 'unsupported type'
  | 'permission denied'
  | 'not found'
  | 'state conflict'
  | 'too many requests'
  | 'internal error'
  | 'service unavailable'
  | 'connection error'
  | 'health check failed'
  | 'unknown';

export type ErrorType = 'fatal' | 'warning';

export interface WireError {
  type: ErrorType;
  code: string;
  message: string;
}

export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: ErrorCode;
  readonly type: ErrorType;
  /** The message without any upstream text (what audit records keep); the message itself when unset. */
  readonly ownMessage: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; type?: ErrorType; ownMessage?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.type = options?.type ?? 'fatal';
    this.ownMessage = options?.ownMessage;
  }

  toWire(): WireError {
    return { type: this.type, code: this.code, message: this.message || 'Something went wrong.' };
  }
}

/** `authorization error` with the platform's `Authorization failed: ` prefix. */
export const authError = (detail: string, cause?: unknown): RelayError =>
  new RelayError('authorization error', `Authorization failed: ${detail}`, { cause });

export const invalidArgument = (message: string): RelayError => new RelayError('invalid argument', message);

/** A non-fatal notice that accompanies data. */
export const warning = (code: string, message: string): WireError => ({ type: 'warning', code, message });

/** Our own words about a failure, never upstream text: for audit records and reports. */
export function ownMessage(err: unknown): string {
  if (err instanceof RelayError) return err.ownMessage ?? err.message;
  return 'Something went wrong.';
}

/** Maps anything thrown to a wire error, hiding what is not ours to show. */
export function toWireError(err: unknown): WireError {
  if (err instanceof RelayError) return err.toWire();
  return { type: 'fatal', code: 'unknown', message: 'Something went wrong.' };
}

/** The body of every relay response: data, errors, or both (partial results). */
export interface Envelope<T> {
  data?: T;
  errors?: WireError[];
}

/**
 * Builds the envelope for a result that may be partial. `data` is omitted when
 * `hasData` is false and there are errors, as the Cisco relays do.
 */
export function envelope<T>(data: T, errors: readonly unknown[] = [], hasData = true): Envelope<T> {
  const wire = errors.map((e) => (isWireError(e) ? e : toWireError(e)));
  if (wire.length === 0) return { data };
  return hasData ? { data, errors: wire } : { errors: wire };
}

/** Envelope for a failure of the whole call (no data). */
export const failure = (err: unknown): Envelope<never> => ({ errors: [toWireError(err)] });

function isWireError(e: unknown): e is WireError {
  return (
    typeof e === 'object' &&
    e !== null &&
    !(e instanceof Error) &&
    'type' in e &&
    'code' in e &&
    'message' in e
  );
}

/** The minimal logger `logAnswered` needs (Powertools' Logger fits). */
interface ErrorLog {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * Logs the name and code of every failure about to become an envelope entry,
 * so "Something went wrong." always has a log line behind it. Never the
 * message of a foreign error (it may quote upstream text or credentials).
 */
export function logAnswered(log: ErrorLog, where: string, errors: readonly unknown[]): void {
  for (const e of errors) {
    if (isWireError(e)) continue; // our own warnings, already in our words
    if (e instanceof RelayError) {
      log.warn('error answered', { where, errorName: e.name, code: e.code, cause: causeName(e.cause) });
    } else {
      const code = (e as { code?: unknown } | null)?.code;
      log.error('unexpected error answered', {
        where,
        errorName: e instanceof Error ? e.name : typeof e,
        ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code).slice(0, 64) } : {}),
      });
    }
  }
}

const causeName = (c: unknown): string | undefined => (c instanceof Error ? c.name : undefined);

/** True for anything that is not an explicit warning. */
export const isFatal = (e: unknown): boolean => !(isWireError(e) && e.type === 'warning');
