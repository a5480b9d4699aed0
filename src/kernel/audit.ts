/**
 * One structured audit record per `/respond/trigger`, whatever the outcome.
 * It says who (module instance), what (action, observable, client, elements),
 * how it ended and how long it took — and nothing secret: it never receives
 * claims or headers, only the fields listed here.
 */
import type { Logger } from './logger.js';

export interface AuditRecord {
  readonly action: string;
  readonly observable: { type: string; value: string };
  readonly client: string | undefined;
  readonly elements: readonly string[];
  readonly outcome: 'success' | 'failure' | 'unchanged' | 'pending';
  readonly error: string | undefined;
  readonly moduleInstanceId: string | undefined;
  readonly durationMs: number;
  readonly source: 'relay' | 'engine';
}

export function audit(log: Logger, record: AuditRecord): void {
  log.info('audit', { audit: { time: new Date().toISOString(), ...record } });
}
