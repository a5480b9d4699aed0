/**
 * A small, realistic Vectra scenario for the sandbox (`npm start`) and for
 * demos: a workstation beaconing to an external command-and-control server,
 * a server protected by the `NoBlock` group, a host VAR already blocked, an
 * account with a privilege anomaly, and a few ordinary hosts.
 */
import type { FakeBrain } from './server.js';

export const SCENARIO = {
  c2Ip: '203.0.113.66',
  c2Domain: 'update-check.example.net',
  workstation: { name: 'wks-fin-042', ip: '10.20.30.42', mac: '00:50:56:aa:bb:42' },
  server: { name: 'srv-db-01', ip: '10.20.1.10' },
  blockedHost: { name: 'wks-eng-007', ip: '10.20.40.7' },
  blockedId: '6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  account: 'O365:svc-backup@corp.example.com',
} as const;

export interface SeededScenario {
  workstationId: number;
  serverId: number;
  blockedHostId: number;
  accountId: number;
  c2DetectionId: number;
  privilegeDetectionId: number;
}

export function seedSandboxScenario(
  brain: Pick<FakeBrain, 'addHost' | 'addAccount' | 'addDetection' | 'addGroup'>,
): SeededScenario {
  const s = SCENARIO;
  const workstation = brain.addHost({
    name: s.workstation.name,
    ip: s.workstation.ip,
    threat: 88,
    certainty: 91,
    urgency: 92,
    macs: [s.workstation.mac],
    artifacts: [{ type: 'dns', value: `${s.workstation.name}.corp.example.com` }],
    probableOwner: 'alice',
    tags: ['finance'],
  });
  const server = brain.addHost({
    name: s.server.name,
    ip: s.server.ip,
    threat: 65,
    certainty: 70,
    keyAsset: true,
  });
  const blocked = brain.addHost({
    name: s.blockedHost.name,
    ip: s.blockedHost.ip,
    threat: 72,
    certainty: 60,
    tags: ['vectra_host_block', 'VAR Host Blocked', `VAR ID:Test Client:${s.blockedId}`],
  });
  for (const [i, name] of ['wks-hr-001', 'wks-hr-002', 'lap-sales-010'].entries()) {
    brain.addHost({
      name,
      ip: `10.20.50.${i + 11}`,
      threat: 10 * i,
      certainty: 20,
      macs: [`00:50:56:cc:00:1${i}`],
    });
  }
  brain.addGroup({
    name: 'NoBlock',
    type: 'host',
    description: 'Never block these',
    members: [server.id],
  });
  const account = brain.addAccount({
    name: s.account,
    accountType: 'o365',
    threat: 70,
    certainty: 85,
    privilegeLevel: 8,
    privilegeCategory: 'High',
  });
  const c2 = brain.addDetection({
    type: 'Hidden HTTPS Tunnel',
    category: 'COMMAND & CONTROL',
    hostId: workstation.id,
    dstIps: [s.c2Ip],
    dstDomains: [s.c2Domain],
    dstPorts: [443],
    threat: 90,
    certainty: 88,
  });
  brain.addDetection({
    type: 'Internal Stage Loader',
    category: 'LATERAL MOVEMENT',
    hostId: server.id,
    dstIps: ['10.20.30.42'],
    threat: 60,
    certainty: 55,
  });
  const priv = brain.addDetection({
    type: 'Privilege Anomaly: Unusual Account on Host',
    category: 'LATERAL MOVEMENT',
    accountId: account.id,
    srcIp: s.workstation.ip,
    threat: 70,
    certainty: 80,
  });
  return {
    workstationId: workstation.id,
    serverId: server.id,
    blockedHostId: blocked.id,
    accountId: account.id,
    c2DetectionId: c2.id,
    privilegeDetectionId: priv.id,
  };
}
