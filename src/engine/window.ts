/**
 * VAR's blocking time window (BLOCK_DAYS / BLOCK_START_TIME / BLOCK_END_TIME,
 * vectra.md §1.4). It gates *applying* a plan, never computing it: outside the
 * window a run still reports what it would do. The clock is injected so that
 * tests do not depend on the wall time.
 *
 * Semantics: days `[]` or `week` = every day, `weekday` = Monday–Friday,
 * `weekend` = Saturday and Sunday, or day names. Hours are whole hours 0–23 in
 * BLOCK_TIMEZONE (VAR uses the host's local time; a Lambda's is UTC): equal
 * start and end = all day, start < end = [start, end), start > end wraps
 * past midnight ([start, 24) ∪ [0, end)).
 */
import type { Policy } from './policy.js';

const WEEKDAYS = new Set(['monday', 'tuesday', 'wednesday', 'thursday', 'friday']);
const WEEKEND = new Set(['saturday', 'sunday']);

/** Weekday name (lower case) and hour 0–23 of `now` in `timeZone`. */
export function localDayHour(now: Date, timeZone: string): { day: string; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'long',
    hour: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(now);
  const day = (parts.find((p) => p.type === 'weekday')?.value ?? '').toLowerCase();
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24;
  return { day, hour };
}

function dayAllowed(days: readonly string[], day: string): boolean {
  if (days.length === 0 || days.includes('week')) return true;
  return days.some(
    (d) => d === day || (d === 'weekday' && WEEKDAYS.has(day)) || (d === 'weekend' && WEEKEND.has(day)),
  );
}

function hourAllowed(start: number, end: number, hour: number): boolean {
  if (start === end) return true;
  return start < end ? hour >= start && hour < end : hour >= start || hour < end;
}

export type WindowPolicy = Pick<
  Policy,
  'BLOCK_DAYS' | 'BLOCK_START_TIME' | 'BLOCK_END_TIME' | 'BLOCK_TIMEZONE'
>;

/** True when a run at `now` may apply its plan. */
export function inBlockingWindow(policy: WindowPolicy, now: Date): boolean {
  const days = typeof policy.BLOCK_DAYS === 'string' ? [policy.BLOCK_DAYS] : policy.BLOCK_DAYS;
  const { day, hour } = localDayHour(now, policy.BLOCK_TIMEZONE);
  return dayAllowed(days, day) && hourAllowed(policy.BLOCK_START_TIME, policy.BLOCK_END_TIME, hour);
}
