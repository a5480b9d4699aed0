/**
 * Builds the CDK app for one stage: resolves and validates the stage settings,
 * bundles the functions with the local esbuild (unless prebuilt assets are
 * given) and adds the stage's stack. `bin/relay.ts` is the thin CLI wrapper.
 */
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { build, DEFAULT_OUTDIR, HANDLER } from '../../scripts/build.js';
import { fromRoot } from '../../scripts/lib/paths.js';
import { RelayStack, stackName } from './relay-stack.js';
import { resolveStage } from './stage-config.js';

export const STAGES_DIR: string = fromRoot('cdk', 'stages');

export interface AddStageOptions {
  /** Where `<stage>.json` files live. Default `cdk/stages`. */
  readonly stagesDir?: string;
  /**
   * Directory with prebuilt `relay/` and `engine/` bundles (`scripts/build.ts --outdir`).
   * Default: context `assetDir`, else bundle now into `dist/lambda`.
   */
  readonly assetDir?: string;
  /** Environment for account/region fallbacks; default `process.env`. */
  readonly env?: Record<string, string | undefined>;
}

/** Adds the stack of the stage named by context `stage` (`-c stage=dev`). */
export async function addStage(app: App, options: AddStageOptions = {}): Promise<RelayStack> {
  const { stage, settings } = resolveStage(app.node.tryGetContext('stage'), {
    stagesDir: options.stagesDir ?? STAGES_DIR,
    contextStages: app.node.tryGetContext('stages'),
  });
  const env = options.env ?? process.env;
  const prebuilt = options.assetDir ?? (app.node.tryGetContext('assetDir') as string | undefined);
  let assetDir = prebuilt;
  if (!assetDir) {
    const built = await build({
      outdir: DEFAULT_OUTDIR,
      functions: [
        'relay',
        ...(settings.engine.enabled ? (['engine'] as const) : []),
        ...(settings.collection.enabled ? (['collect'] as const) : []),
      ],
    });
    assetDir = built.outdir;
  }
  const account = settings.account ?? env.CDK_DEFAULT_ACCOUNT;
  const region = settings.region ?? env.CDK_DEFAULT_REGION;
  return new RelayStack(app, stackName(stage), {
    stage,
    settings,
    handler: HANDLER,
    assets: {
      relay: join(assetDir, 'relay'),
      ...(settings.engine.enabled ? { engine: join(assetDir, 'engine') } : {}),
      ...(settings.collection.enabled ? { collect: join(assetDir, 'collect') } : {}),
    },
    ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  });
}
