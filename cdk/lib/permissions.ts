/**
 * Least-privilege grants for NACL blocking, shared by the relay and the engine:
 * writes only on the stage's NACL ARNs, STS only on its role ARNs. IAM cannot
 * restrict rule numbers or CIDRs, which is why the code keeps to its owned band.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { StageSettings } from './stage-config.js';

/**
 * EC2 and STS grants shared by the relay and the engine. A statement whose
 * resource list would be empty is left out; DescribeNetworkAcls (no
 * resource-level permissions) only comes with at least one NACL to change.
 */
export function blockingStatements(s: Pick<StageSettings, 'naclArns' | 'roleArns'>): iam.PolicyStatement[] {
  const out: iam.PolicyStatement[] = [];
  if (s.naclArns.length) {
    out.push(
      new iam.PolicyStatement({
        sid: 'ChangeStageNetworkAcls',
        // No ReplaceNetworkAclEntry: never called, and it could rewrite anyone's rule (the 100 allow).
        actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'],
        resources: [...s.naclArns],
      }),
      new iam.PolicyStatement({
        sid: 'DescribeNetworkAcls',
        actions: ['ec2:DescribeNetworkAcls'],
        resources: ['*'],
      }),
    );
  }
  if (s.roleArns.length) {
    out.push(
      new iam.PolicyStatement({
        sid: 'AssumeStageRoles',
        actions: ['sts:AssumeRole'],
        resources: [...s.roleArns],
      }),
    );
  }
  return out;
}
