/**
 * Names the NACL vendor persists or hands out: the block client's display name
 * (stored in `VAR ID:<name>:<id>` tags — never change it), the action ids, and
 * element ids `<naclId>/<canonical cidr>`, which tell unblock exactly what to
 * remove without searching and stay stable across text forms of an address.
 */
import { type Cidr, parseCidr } from '../../kernel/cidr.js';

export const AWS_NACL_CLIENT_NAME = 'AWS NACL Client';
export const DENY_ACTION = 'aws_nacl-deny-ip';
export const REMOVE_DENY_ACTION = 'aws_nacl-remove-deny-ip';
export const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['ip', 'ipv6']);

export const elementId = (naclId: string, cidr: Cidr): string => `${naclId}/${cidr.text}`;

/** Splits `<naclId>/<cidr>`; undefined when the id is not one of ours. */
export function parseElementId(id: string): { naclId: string; cidr: Cidr } | undefined {
  const slash = id.indexOf('/');
  const cidr = slash > 0 ? parseCidr(id.slice(slash + 1)) : undefined;
  return cidr ? { naclId: id.slice(0, slash), cidr } : undefined;
}
