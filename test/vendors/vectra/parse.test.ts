import { describe, expect, it } from 'vitest';
import { parseAccount, parseDetection, parseHost } from '../../../src/vendors/vectra/parse.js';

const hostJson = {
  id: 7,
  name: 'wks-7',
  last_source: '10.1.2.3',
  previous_ips: ['10.1.2.2'],
  threat: 80,
  certainty: 60,
  severity: 'critical',
  state: 'active',
  key_asset: true,
  probable_owner: 'bob',
  tags: [
    'finance',
    'Client:PAN',
    'client:aws_nacl',
    'VAR Host Blocked',
    'VAR ID:Meraki Client:WLAN:cid:netid:Normal',
    'VAR ID:AWS NACL:acl-1:100',
    'release-me',
    'vectra_host_unblock',
  ],
  host_artifact_set: [
    { type: 'mac', value: '00:11:22:33:44:55' },
    { type: 'dns', value: 'wks-7.corp.example' },
    { type: 'vm_uuid', value: 'abc' },
  ],
  groups: [{ id: 3, name: 'NoBlock' }],
  last_detection_timestamp: '2024-05-01T10:00:00Z',
  detection_set: ['https://brain/api/v2.5/detections/11', 'https://brain/api/v2.5/detections/12/'],
};

describe('parse', () => {
  it('builds a VectraHost with VAR state from tags, using the configured unblock tag', () => {
    const host = parseHost(hostJson, { unblockTag: 'release-me' });
    expect(host).toMatchObject({
      kind: 'host',
      id: 7,
      name: 'wks-7',
      ip: '10.1.2.3',
      threat: 80,
      certainty: 60,
      isKeyAsset: true,
      macAddresses: ['00:11:22:33:44:55'],
      fullName: 'wks-7.corp.example',
      detectionIds: [11, 12],
      groups: [{ id: 3, name: 'NoBlock' }],
      clientRestrictions: ['pan', 'aws_nacl'],
      blockedElements: { 'Meraki Client': ['WLAN:cid:netid:Normal'], 'AWS NACL': ['acl-1:100'] },
    });
    // External tags: VAR ID tags, the marker and the configured unblock tag are state; the default name is not.
    expect(host.tags).toEqual(['finance', 'Client:PAN', 'client:aws_nacl', 'vectra_host_unblock']);
    expect(host.allTags).toHaveLength(8);
  });

  it('survives missing fields', () => {
    const host = parseHost({ id: 1 }, { unblockTag: 'u' });
    expect(host).toMatchObject({
      name: '',
      ip: null,
      threat: 0,
      tags: [],
      blockedElements: {},
      fullName: '',
    });
  });

  it('builds a VectraAccount with normalised name and context', () => {
    const account = parseAccount(
      {
        id: 4,
        name: 'O365:jane@corp.example',
        account_type: 'o365',
        threat: 10,
        certainty: 20,
        privilege_level: 7,
        tags: ['Context:CORP', 'VAR Account Blocked', 'VAR ID:C:1', 'vectra_account_unblock'],
      },
      { unblockTag: 'vectra_account_unblock' },
    );
    expect(account).toMatchObject({
      displayName: 'O365:jane@corp.example',
      normalizedName: 'jane@corp.example',
      context: 'CORP',
      privilegeLevel: 7,
      tags: ['Context:CORP'],
      blockedElements: { C: ['1'] },
    });
  });

  it('builds a VectraDetection keeping only public destination IPs', () => {
    const d = parseDetection({
      id: 9,
      category: 'COMMAND & CONTROL',
      detection_type: 'Hidden HTTPS Tunnel',
      src_ip: '10.1.2.3',
      src_host: { id: 7, name: 'wks-7' },
      src_account: null,
      state: 'active',
      threat: 90,
      certainty: 80,
      summary: {
        dst_ips: ['203.0.113.66', '10.0.0.1', '192.168.1.1', 'junk', '2001:db8::1', 'fd00::1'],
        target_domains: ['evil.example'],
      },
      tags: ['block', 'VAR Detection Blocked', 'VAR ID:FW:203.0.113.66'],
    });
    expect(d).toMatchObject({
      hostId: 7,
      accountId: null,
      src: '10.1.2.3',
      dstIps: ['203.0.113.66', '2001:db8::1'],
      dstDomains: ['evil.example'],
      tags: ['block'],
      blockedElements: { FW: ['203.0.113.66'] },
      srcHostName: 'wks-7',
    });
  });
});
