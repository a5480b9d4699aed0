/**
 * `module_settings.json` (the tr-05 convention read by the JWT generator):
 * its schema, loading, and the per-region Cisco XDR module-creation links.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fromRoot } from './paths.js';

export const DEFAULT_SETTINGS_PATH: string = fromRoot('module_settings.json');
/** Placeholder module-type ids shipped in module_settings.json start with this. */
const PLACEHOLDER_ID_PREFIX = '00000000-0000-4000-8000-';

export const ModuleSettingsSchema = z
  .object({
    name: z.string().min(1),
    jwt: z.record(z.string().regex(/^[A-Za-z][\w-]*$/), z.string().min(1)),
    region: z.record(z.string().regex(/^[a-z]+$/), z.uuid()),
    required: z.array(z.string()).default([]),
    secret: z.array(z.string()).default([]),
    hints: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((s, ctx) => {
    for (const list of ['required', 'secret', 'hints'] as const) {
      const keys = Array.isArray(s[list]) ? s[list] : Object.keys(s[list]);
      for (const key of keys) {
        if (!Object.hasOwn(s.jwt, key))
          ctx.addIssue({ code: 'custom', path: [list], message: `"${key}" is not a jwt field` });
      }
    }
  });
export type ModuleSettings = z.output<typeof ModuleSettingsSchema>;

/** A problem with the command line or missing input: exit code 2, no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function loadModuleSettings(path: string = DEFAULT_SETTINGS_PATH): ModuleSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`Cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = ModuleSettingsSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`Invalid ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface ModuleLink {
  readonly region: string;
  readonly url: string;
  /** The module type to pick on that page. */
  readonly typeId: string;
  readonly placeholder: boolean;
}

export const isPlaceholderId = (id: string): boolean => id.startsWith(PLACEHOLDER_ID_PREFIX);

/**
 * Cisco XDR's Integrations page per region (`https://xdr.<region>.security.cisco.com/administration/integrations`,
 * Administration > Integrations), where the module of type `<id>` is created. The retired
 * SecureX deep links are not used; XDR's deep link to one module type is not documented.
 */
export function moduleLinks(settings: ModuleSettings, moduleTypeId?: string, only?: string): ModuleLink[] {
  return Object.entries(settings.region)
    .filter(([region]) => !only || region === only)
    .map(([region, id]) => {
      const typeId = moduleTypeId ?? id;
      return {
        region,
        url: `https://xdr.${region}.security.cisco.com/administration/integrations`,
        typeId,
        placeholder: isPlaceholderId(typeId),
      };
    });
}
