/**
 * Every token field the module takes, in form order, grouped as the XDR
 * module form shows them: Vectra's, the relay's own, then each registered
 * block client's (its product name is the group). `module_settings.json`,
 * `module_type.json`'s configuration spec, `npm run jwt` and the engine CLI's
 * environment are generated from this list (`scripts/module-files.ts`).
 */
import * as z from 'zod/mini';
import type { FieldSpecs } from '../kernel/fields.js';
import { blockClients, isBlockClientId } from './block-clients.js';
import { VECTRA_FIELDS } from './vectra/config.js';

export interface FieldGroup {
  readonly group: string;
  readonly fields: FieldSpecs;
  /** A block client's module id: its required fields are required only when `block_clients` lists it. */
  readonly module?: string;
}

const clientList = z.string().check(
  z.refine(
    (v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
        .every(isBlockClientId),
    `must list known block clients (${Object.keys(blockClients).join(', ')})`,
  ),
);

/** The relay's own fields (not a vendor's). */
export const RELAY_FIELDS = {
  block_clients: {
    schema: z.optional(clientList),
    label: 'Block clients',
    help: `Comma-separated block clients, e.g. aws_nacl (known: ${Object.keys(blockClients).join(', ')})`,
  },
  CTR_ENTITIES_LIMIT: {
    schema: z.optional(z.string().check(z.regex(/^\d{1,5}$/, 'must be a whole number'))),
    label: 'Entities limit',
    help: 'Maximum entities per observable (default 100)',
    kind: 'integer',
  },
  relay_module_key: {
    schema: z.optional(z.string().check(z.minLength(32))),
    label: 'Relay module key (RS256 deployments: the stack output ModuleKeyArn)',
    help: "The value of the stack's module-key secret; the relay refuses XDR tokens without it",
    secret: true,
  },
} as const satisfies FieldSpecs;

export const FIELD_GROUPS: readonly FieldGroup[] = [
  { group: 'Vectra Detect', fields: VECTRA_FIELDS },
  { group: 'Relay', fields: RELAY_FIELDS },
  ...Object.values(blockClients)
    .filter((d) => Object.keys(d.fields).length > 0)
    .map((d) => ({ group: d.product, fields: d.fields as FieldSpecs, module: d.module })),
];

/** Every field by key; a key declared twice is a programming error caught by the module-files test. */
export const ALL_FIELDS: Readonly<Record<string, FieldSpecs[string]>> = Object.fromEntries(
  FIELD_GROUPS.flatMap((g) => Object.entries(g.fields)),
);
