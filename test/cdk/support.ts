/**
 * Shared setup of the CDK tests: fake asset directories (the stack only needs
 * a directory to hash, so synth stays fast and independent of the handlers)
 * and a synth helper per stage.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addStage } from '../../cdk/lib/app.js';
import type { RelayStack } from '../../cdk/lib/relay-stack.js';

/** Creates `<dir>/{relay,engine,collect}/index.mjs` stubs. */
export function fakeAssets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-cdk-assets-'));
  for (const name of ['relay', 'engine', 'collect']) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, 'index.mjs'),
      `export const handler = async () => (${JSON.stringify(name)});\n`,
    );
  }
  return dir;
}

export interface Synth {
  readonly stack: RelayStack;
  readonly template: Template;
  readonly json: Record<string, unknown>;
}

/** Synthesises one stage with the given context (and optional stages dir) against prebuilt assets. */
export async function synthStage(
  assetDir: string,
  context: Record<string, unknown>,
  options: { stagesDir?: string; env?: Record<string, string | undefined> } = {},
): Promise<Synth> {
  // Cloud assembly under the asset dir, so removing that one temp dir cleans everything up.
  const app = new App({ context, outdir: mkdtempSync(join(assetDir, 'cdk-out-')) });
  const stack = await addStage(app, { assetDir, env: options.env ?? {}, ...options });
  const template = Template.fromStack(stack);
  return { stack, template, json: template.toJSON() };
}

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  DependsOn?: string[];
};

/** Resources of one type, keyed by logical id. */
export function resourcesOf(json: Record<string, unknown>, type: string): Record<string, Resource> {
  const all = (json.Resources ?? {}) as Record<string, Partial<Resource> & { Type: string }>;
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, { ...r, Properties: r.Properties ?? {} }]),
  );
}

/** The single resource of a type whose logical id starts with `prefix`. */
export function resource(json: Record<string, unknown>, type: string, prefix: string): Resource {
  const found = Object.entries(resourcesOf(json, type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  return (found[0] as [string, Resource])[1];
}

/** Logical id of the single resource of a type whose id starts with `prefix`. */
export function logicalId(json: Record<string, unknown>, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOf(json, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.length}`);
  return ids[0] as string;
}

/** All IAM policy statements attached to the role with the given logical-id prefix. */
export function statementsOfRole(
  json: Record<string, unknown>,
  rolePrefix: string,
): Record<string, unknown>[] {
  const roleId = logicalId(json, 'AWS::IAM::Role', rolePrefix);
  const policies = Object.values(resourcesOf(json, 'AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId),
  );
  return policies.flatMap(
    (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
  );
}
