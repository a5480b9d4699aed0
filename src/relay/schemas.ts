/**
 * Request schemas of every route, in one table. Routes validate with these and
 * the OpenAPI document and Postman collection are generated from the same
 * table (`scripts/openapi.ts`), so documentation cannot drift from behaviour.
 */
import * as z from 'zod/mini';
import { ObservablesSchema } from '../kernel/observables.js';

const nonBlank = z.string().check(z.minLength(1), z.maxLength(4096));

/** `/respond/trigger`: three required keys, extra query-params allowed (echoed by the platform). */
export const TriggerSchema = z.catchall(
  z.object({
    'action-id': nonBlank,
    observable_type: nonBlank,
    observable_value: nonBlank,
  }),
  z.union([z.string().check(z.maxLength(4096)), z.number(), z.boolean(), z.null()]),
);

export const PERIODS = [
  'last_hour',
  'last_24_hours',
  'last_7_days',
  'last_30_days',
  'last_60_days',
  'last_90_days',
] as const;

export const TileSchema = z.strictObject({ tile_id: nonBlank });
export const TileDataSchema = z.strictObject({ tile_id: nonBlank, period: z.enum(PERIODS) });

export interface RouteSpec {
  readonly path: string;
  readonly method: 'post' | 'get';
  readonly auth: boolean;
  readonly summary: string;
  readonly request?: z.ZodMiniType;
  /** Name of the sample body to use in generated collections. */
  readonly sample?: 'observables' | 'trigger' | 'tile' | 'tile-data';
}

export const ROUTES: readonly RouteSpec[] = [
  {
    path: '/health',
    method: 'post',
    auth: true,
    summary: 'Check the configured vendors with one cheap call each',
  },
  {
    path: '/observe/observables',
    method: 'post',
    auth: true,
    summary: 'Sightings of hosts, accounts and detections in Vectra Detect',
    request: ObservablesSchema,
    sample: 'observables',
  },
  {
    path: '/deliberate/observables',
    method: 'post',
    auth: true,
    summary: 'Verdicts (none: Vectra Detect gives no verdicts)',
    request: ObservablesSchema,
    sample: 'observables',
  },
  {
    path: '/refer/observables',
    method: 'post',
    auth: true,
    summary: 'Links back to the Vectra UI',
    request: ObservablesSchema,
    sample: 'observables',
  },
  {
    path: '/respond/observables',
    method: 'post',
    auth: true,
    summary: 'Block/unblock actions the configured clients can take now',
    request: ObservablesSchema,
    sample: 'observables',
  },
  {
    path: '/respond/trigger',
    method: 'post',
    auth: true,
    summary: 'Execute one action offered by /respond/observables',
    request: TriggerSchema,
    sample: 'trigger',
  },
  { path: '/tiles', method: 'post', auth: true, summary: 'Dashboard tiles' },
  {
    path: '/tiles/tile',
    method: 'post',
    auth: true,
    summary: 'One tile descriptor',
    request: TileSchema,
    sample: 'tile',
  },
  {
    path: '/tiles/tile-data',
    method: 'post',
    auth: true,
    summary: 'Data of one tile for a period',
    request: TileDataSchema,
    sample: 'tile-data',
  },
  { path: '/version', method: 'post', auth: false, summary: 'Relay version (no authentication)' },
  {
    path: '/watchdog',
    method: 'get',
    auth: false,
    summary: 'Liveness probe echoing the Health-Check header',
  },
];
