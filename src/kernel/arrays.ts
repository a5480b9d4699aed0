/**
 * `target.push(...items)` passes every item as a call argument, so an upstream
 * array of a few hundred thousand entries overflows the stack (a 600,001-item
 * page did). Anything that may hold upstream data is appended with this loop.
 */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}
