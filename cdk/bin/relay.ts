/**
 * CDK entry point: `npx cdk deploy -c stage=<name>` (run in `cdk/`).
 * Settings errors are printed as one readable message, without a stack trace.
 */
import { App } from 'aws-cdk-lib';
import { addStage } from '../lib/app.js';
import { StageConfigError } from '../lib/stage-config.js';

const app = new App();
try {
  await addStage(app);
  app.synth();
} catch (err) {
  if (!(err instanceof StageConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
