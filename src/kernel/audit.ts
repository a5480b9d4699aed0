/**
 * One structured audit record per `/respond/trigger`, whatever the outcome.
 * It says who (module instance), what (action, observable, client, elements),
 * how it ended and how long it took — and nothing secret: it never receives
 * claims or headers, only the fields listed here.
 */
import { createHash } from 'node:crypto';
import type { Logger } from './logger.js';

export interface AuditRecord {
  /** Who, from verified claims only (never from headers). */
  readonly identity?: Readonly<Record<string, string>>;
  readonly action: string;
  readonly observable: { type: string; value: string };
  readonly client: string | undefined;
  readonly elements: readonly string[];
  readonly outcome: 'success' | 'failure' | 'unchanged' | 'pending';
  /** Our own message only (`ownMessage()`): upstream text never lands in the audit trail. */
  readonly error: string | undefined;
  /** The `X-Module-Instance-Id` header: unauthenticated, so recorded as claimed. */
  readonly moduleInstanceId: string | undefined;
  readonly durationMs: number;
  readonly source: 'relay' | 'engine';
}

export function audit(log: Logger, record: AuditRecord): void {
  const { moduleInstanceId, ...rest } = record;
  log.info('audit', {
    audit: { time: new Date().toISOString(), ...rest, claimedModuleInstanceId: claimedId(moduleInstanceId) },
  });
}

/** A header value kept only as an identifier: safe characters, bounded length. */
export const claimedId = (raw: string | undefined): string | undefined =>
  raw === undefined ? undefined : raw.replace(/[^\w.:-]/g, '_').slice(0, 128);

/**
 * The caller as the verified token describes it: the XDR region that signed it
 * and a short fingerprint of its configuration (no field values, no secrets).
 */
export function identityOf(claims: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (claims.jwks_host) out.jwksHost = claims.jwks_host.slice(0, 128);
  const keys = Object.keys(claims).sort();
  out.configFingerprint = createHash('sha256')
    .update(JSON.stringify(keys.map((k) => [k, claims[k]])))
    .digest('hex')
    .slice(0, 16);
  return out;
}
