/** The fake EC2 endpoint as the `aws_nacl` block client's fake: one VPC default NACL. */
import type { FakeDeclaration } from '../fake.js';
import { startFakeEc2 } from './server.js';

export const ec2Fake: FakeDeclaration = {
  module: 'aws_nacl',
  async start(opts = {}) {
    const ec2 = await startFakeEc2({ port: opts.port ?? 0, latencyMs: opts.latencyMs ?? 0 });
    return {
      url: ec2.url,
      claims: { aws_region: 'us-east-1', aws_nacl_ids: ec2.naclIds[0] as string },
      // The EC2 endpoint never comes from a token: the SDK reads it from the environment.
      env: { AWS_ENDPOINT_URL_EC2: ec2.url },
      snapshot: () => ec2.naclIds.map((id) => ({ id, entries: ec2.entries(id) })),
      close: () => ec2.close(),
    };
  },
};
