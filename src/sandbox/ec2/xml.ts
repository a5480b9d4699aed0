/**
 * EC2 Query protocol bodies, written by hand so that the element names are
 * exactly what AWS sends (lower-case first letter, `item` list members,
 * `…Set` wrappers) and the SDK's real deserializer is what the tests run.
 */
import type { FakeEntry, FakeNacl } from './model.js';

export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export const esc = (s: string | number | boolean): string =>
  String(s).replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

const el = (name: string, value: string | number | boolean | undefined): string =>
  value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;

function entryXml(e: FakeEntry): string {
  const ports = e.portRange
    ? `<portRange>${el('from', e.portRange.from)}${el('to', e.portRange.to)}</portRange>`
    : '';
  const icmp = e.icmpTypeCode
    ? `<icmpTypeCode>${el('code', e.icmpTypeCode.code)}${el('type', e.icmpTypeCode.type)}</icmpTypeCode>`
    : '';
  return (
    `<item>${el('ruleNumber', e.ruleNumber)}${el('protocol', e.protocol)}${el('ruleAction', e.ruleAction)}` +
    `${el('egress', e.egress)}${el('cidrBlock', e.cidrBlock)}${el('ipv6CidrBlock', e.ipv6CidrBlock)}${ports}${icmp}</item>`
  );
}

export function describeNetworkAclsXml(requestId: string, nacls: FakeNacl[], nextToken?: string): string {
  const items = nacls
    .map(
      (n) =>
        `<item>${el('networkAclId', n.networkAclId)}${el('vpcId', n.vpcId)}${el('default', n.isDefault)}` +
        `<entrySet>${n.entries.map(entryXml).join('')}</entrySet><associationSet/><tagSet/>` +
        `${el('ownerId', n.ownerId)}</item>`,
    )
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeNetworkAclsResponse xmlns="${EC2_XMLNS}">` +
    `${el('requestId', requestId)}<networkAclSet>${items}</networkAclSet>${el('nextToken', nextToken)}` +
    '</DescribeNetworkAclsResponse>'
  );
}

/** Create/Delete/Replace answer `<return>true</return>` and the request id. */
export const returnTrueXml = (action: string, requestId: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">` +
  `${el('requestId', requestId)}<return>true</return></${action}Response>`;

export const errorXml = (code: string, message: string, requestId: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', code)}${el('Message', message)}` +
  `</Error></Errors>${el('RequestID', requestId)}</Response>`;

export interface StsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export const assumeRoleXml = (requestId: string, roleArn: string, c: StsCredentials): string =>
  `<AssumeRoleResponse xmlns="${STS_XMLNS}"><AssumeRoleResult><Credentials>` +
  `${el('AccessKeyId', c.accessKeyId)}${el('SecretAccessKey', c.secretAccessKey)}` +
  `${el('SessionToken', c.sessionToken)}${el('Expiration', c.expiration.toISOString())}</Credentials>` +
  `<AssumedRoleUser>${el('Arn', `${roleArn}/relay`)}${el('AssumedRoleId', 'AROAFAKE:relay')}</AssumedRoleUser>` +
  `</AssumeRoleResult><ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></AssumeRoleResponse>`;

/** STS (awsQuery) wraps errors differently from EC2. */
export const stsErrorXml = (code: string, message: string, requestId: string): string =>
  `<ErrorResponse xmlns="${STS_XMLNS}"><Error><Type>Sender</Type>${el('Code', code)}${el('Message', message)}` +
  `</Error>${el('RequestId', requestId)}</ErrorResponse>`;
