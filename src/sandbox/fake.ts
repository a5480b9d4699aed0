/**
 * What every block client's fake offers the sandbox, the contract suite and
 * `npm run smoke -- --clients`: a stateful HTTP server on 127.0.0.1 speaking
 * the product's real protocol, the token fields that point the client at it
 * with working credentials, and a JSON view of its state.
 */

/** A Vectra host of the sandbox scenario, so an EDR fake can hold the matching endpoint. */
export interface SeedHost {
  readonly name: string;
  readonly ip: string;
  readonly mac?: string;
}

export interface FakeStartOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Added to every answer (benchmarks). */
  readonly latencyMs?: number;
  /** Hosts the fake should know as endpoints (EDRs); firewalls ignore them. */
  readonly hosts?: readonly SeedHost[];
  /**
   * How long an asynchronous job (install, isolation) stays running before it
   * completes by itself; tests use `settle()` instead. Default: the fake's own.
   */
  readonly jobMs?: number;
}

export interface RunningFake {
  readonly url: string;
  /** Token fields (prefixed with the module id) for this fake, credentials included. */
  readonly claims: Readonly<Record<string, string>>;
  /** Environment the relay process needs for this fake (the EC2 endpoint for `aws_nacl`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The fake's state as plain JSON: a block changes it, the unblock restores it. */
  snapshot(): unknown;
  /** Completes every running asynchronous job now (fakes with jobs). */
  settle?(): void;
  close(): Promise<void>;
}

export interface FakeDeclaration {
  /** The block client's module id. */
  readonly module: string;
  start(opts?: FakeStartOptions): Promise<RunningFake>;
}
