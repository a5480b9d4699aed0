import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectClaims,
  createToken,
  generateSecret,
  type Io,
  loadModuleSettings,
  moduleLinks,
  type Prompter,
  parseCli,
  run,
  signToken,
  ttyPrompter,
  UsageError,
} from '../../scripts/jwt.js';
import { fromRoot } from '../../scripts/lib/paths.js';

const settings = loadModuleSettings();
const KEY = 'A1b2C3d4'.repeat(8);
const tmp = mkdtempSync(join(tmpdir(), 'relay-jwt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Answers prompts from a list and records the questions. */
function fakePrompter(answers: string[]): Prompter & { asked: { question: string; secret: boolean }[] } {
  const asked: { question: string; secret: boolean }[] = [];
  return {
    asked,
    ask: async (question, { secret }) => {
      asked.push({ question, secret });
      return answers.shift() ?? '';
    },
    close: () => undefined,
  };
}

function captureIo(stdinText = '', isTTY = false): Io & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const stdin = Object.assign(Readable.from([stdinText]), { isTTY });
  return { stdin, stdout, stderr, out: () => out, err: () => err };
}

describe('generateSecret', () => {
  it('returns 64 alphanumeric characters, different every time', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(generateSecret()).not.toBe(a);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(generateSecret(20_000));
    expect(seen.size).toBe(62);
  });
});

describe('signToken', () => {
  it('signs the claims with HS256 and a JWT header, no exp or aud by default', async () => {
    const jwt = await signToken({ vectra_url: 'https://brain.example.com' }, KEY);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(KEY), { algorithms: ['HS256'] });
    expect(payload).toEqual({ vectra_url: 'https://brain.example.com' });
  });

  it('adds audience and expiry when asked', async () => {
    const jwt = await signToken({ a: 'b' }, KEY, { audience: 'https://relay.example.com', expiresIn: '1h' });
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(KEY), {
      audience: 'https://relay.example.com',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });
});

describe('module links', () => {
  it('points each region at Cisco XDR (not the retired SecureX) and flags the shipped placeholder ids', () => {
    expect(moduleLinks(settings).map((l) => [l.region, l.placeholder])).toEqual([
      ['us', true],
      ['eu', true],
      ['apjc', true],
    ]);
    const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    expect(moduleLinks(settings, id, 'eu')).toEqual([
      {
        region: 'eu',
        url: 'https://xdr.eu.security.cisco.com/administration/integrations',
        typeId: id,
        placeholder: false,
      },
    ]);
  });
});

describe('parseCli', () => {
  it('takes fields as --field value and --set key=value', () => {
    const o = parseCli(
      [
        '--vectra_url',
        'https://b.example',
        '--set',
        'aws_region=eu-west-1',
        '--set',
        'vectra_token=a=b',
        '--json',
      ],
      settings,
    );
    expect(o.fields).toEqual({
      vectra_url: 'https://b.example',
      aws_region: 'eu-west-1',
      vectra_token: 'a=b',
    });
    expect(o.json).toBe(true);
  });

  it('rejects unknown flags, unknown fields and malformed values', () => {
    expect(() => parseCli(['--vectra-url', 'x'], settings)).toThrow(/Unknown option '--vectra-url'/);
    expect(() => parseCli(['--set', 'nope=1'], settings)).toThrow(/Unknown field "nope"/);
    expect(() => parseCli(['--set', 'novalue'], settings)).toThrow(/--set expects key=value/);
    expect(() => parseCli(['--region', 'mars'], settings)).toThrow(/Unknown region "mars"/);
    expect(() => parseCli(['--module-type-id', '123'], settings)).toThrow(/must be a UUID/);
    expect(() => parseCli(['--secret', KEY, '--secret-stdin'], settings)).toThrow(UsageError);
  });
});

describe('collectClaims', () => {
  it('prompts with the labels for fields not given, hides secret fields and drops blanks', async () => {
    const prompter = fakePrompter(['v2.5', 'tok-123']);
    const claims = await collectClaims(settings, { vectra_url: 'https://b.example' }, prompter);
    expect(claims).toEqual({
      vectra_url: 'https://b.example',
      vectra_api_version: 'v2.5',
      vectra_token: 'tok-123',
    });
    expect(prompter.asked[0]?.question).toMatch(/^Vectra API version \(optional\) \[/);
    expect(prompter.asked.filter((a) => a.secret).map((a) => a.question.split(' (')[0])).toEqual([
      'Vectra API token',
      'Vectra API client secret',
      // carbon_black is a block client: its fields are asked only when block_clients lists it.
      'Relay module key',
    ]);
    // Unlisted block clients' fields are not asked.
    const nacl = [
      'aws_region',
      'aws_nacl_ids',
      'aws_nacl_direction',
      'aws_nacl_rule_range',
      'aws_role_arn',
      'aws_external_id',
      'aws_nacl_dry_run',
    ];
    expect(prompter.asked.map((a) => a.question).some((q) => q.startsWith('AWS'))).toBe(false);
    expect(prompter.asked.length).toBeLessThanOrEqual(Object.keys(settings.jwt).length - 1 - nacl.length);
  });

  it("asks a listed client's required field again until it is answered, and skips unlisted clients", async () => {
    // Every other field is given (blank where optional): only the NACL ones are asked.
    const given: Record<string, string> = Object.fromEntries(Object.keys(settings.jwt).map((k) => [k, '']));
    for (const k of ['aws_region', 'aws_nacl_ids', 'aws_nacl_direction']) delete given[k];
    Object.assign(given, { vectra_url: 'https://b.example', vectra_token: 't', block_clients: 'aws_nacl' });
    const prompter = fakePrompter(['', '  ', 'eu-west-1', 'acl-0123456789abcdef0', '']);
    const claims = await collectClaims(settings, given, prompter);
    expect(claims.aws_region).toBe('eu-west-1');
    expect(prompter.asked.filter((a) => a.question.startsWith('AWS region')).map((a) => a.question)).toEqual([
      expect.stringMatching(/^AWS region \[/),
      'AWS region is required: ',
      'AWS region is required: ',
    ]);
  });

  it('fails clearly on a token that enables nothing, a bad value or a missing client field', async () => {
    await expect(collectClaims(settings, { aws_region: 'eu-west-1' })).rejects.toThrow(/enables nothing/);
    await expect(
      collectClaims(settings, {
        block_clients: 'aws_nacl',
        aws_region: 'eu-west-1',
        aws_nacl_ids: 'acl-0123456789abcdef0',
        aws_nacl_direction: 'sideways',
      }),
    ).rejects.toThrow(/--aws_nacl_direction is invalid.*"AWS NACL direction" \(custom_aws_nacl_direction\)/);
    await expect(collectClaims(settings, { block_clients: 'nope' })).rejects.toThrow(
      /--block_clients is invalid \(must list known block clients/,
    );
    await expect(collectClaims(settings, { block_clients: 'aws_nacl' })).rejects.toThrow(
      /--aws_region is missing; it goes in the module form field "AWS region"/,
    );
    expect(
      await collectClaims(settings, {
        block_clients: 'aws_nacl',
        aws_region: 'eu-west-1',
        aws_nacl_ids: 'acl-0123456789abcdef0',
      }),
    ).toMatchObject({ block_clients: 'aws_nacl' });
  });
});

describe('createToken', () => {
  it('generates a key when none is given and rejects short keys', async () => {
    const r = await createToken(settings, { vectra_url: 'https://b.example' }, {});
    expect(r.generatedSecret).toBe(true);
    expect(r.secretKey).toMatch(/^[A-Za-z0-9]{64}$/);
    await expect(createToken(settings, {}, { secret: 'short' })).rejects.toThrow(/at least 32 characters/);
  });
});

describe('run', () => {
  it('prints the pair, the links and the placeholder note', async () => {
    const io = captureIo();
    expect(
      await run(
        ['--vectra_url', 'https://b.example', '--vectra_token', 't', '--secret', KEY, '--stage', 'dev'],
        io,
      ),
    ).toBe(0);
    const out = io.out();
    expect(out).toContain(`SECRET_KEY: ${KEY}\nJWT: ey`);
    expect(out).toContain('https://xdr.apjc.security.cisco.com/administration/integrations');
    expect(out).not.toMatch(/securex/i);
    expect(out).toContain('Cisco XDR');
    expect(out).toContain('placeholders');
    expect(out).not.toContain('was generated now');
  });

  it('reads the key from stdin and prints JSON', async () => {
    const io = captureIo(`${KEY}\n`);
    expect(
      await run(['--secret-stdin', '--json', '--vectra_url', 'https://b.example', '--vectra_token', 't'], io),
    ).toBe(0);
    const report = JSON.parse(io.out()) as { SECRET_KEY: string; JWT: string; fields: string[] };
    expect(report.SECRET_KEY).toBe(KEY);
    expect(report.fields).toEqual(['vectra_url', 'vectra_token']);
    await expect(jwtVerify(report.JWT, new TextEncoder().encode(KEY))).resolves.toBeTruthy();
  });

  it('writes secrets only to a new 0600 --out file and keeps them off stdout', async () => {
    const file = join(tmp, 'token.json');
    const io = captureIo();
    expect(
      await run(['--vectra_url', 'https://b.example', '--vectra_token', 't', '--out', file, '--json'], io),
    ).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { SECRET_KEY: string };
    expect(saved.SECRET_KEY).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(io.out()).not.toContain(saved.SECRET_KEY);
    expect(JSON.parse(io.out())).toMatchObject({ out: file, fields: ['vectra_url', 'vectra_token'] });
    const again = captureIo();
    expect(
      await run(['--vectra_url', 'https://b.example', '--vectra_token', 't', '--out', file], again),
    ).toBe(2);
    expect(again.err()).toContain('exists');
  });

  it('prompts on a TTY through the readline prompter, without echoing secret answers', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => {
      shown += d.toString();
    });
    const prompter = ttyPrompter(input, output);
    const visible = prompter.ask('URL: ', { secret: false });
    input.write('https://b.example\n');
    await expect(visible).resolves.toBe('https://b.example');
    const hidden = prompter.ask('Token: ', { secret: true });
    input.write('hunter2\n');
    await expect(hidden).resolves.toBe('hunter2');
    prompter.close();
    expect(shown).toContain('URL: ');
    expect(shown).toContain('https://b.example');
    expect(shown).toContain('Token: ');
    expect(shown).not.toContain('hunter2');
  });

  it('runs non-interactively in a subprocess: flags only, exit 2 on a missing field', () => {
    const script = fromRoot('scripts/jwt.ts');
    const ok = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        '--non-interactive',
        '--json',
        '--vectra_url',
        'https://b.example',
        '--vectra_token',
        't',
      ],
      {
        encoding: 'utf8',
        cwd: fromRoot(),
      },
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      generatedSecret: true,
      fields: ['vectra_url', 'vectra_token'],
    });
    const missing = spawnSync(process.execPath, ['--import', 'tsx', script, '--aws_region', 'eu-west-1'], {
      encoding: 'utf8',
      cwd: fromRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^The token enables nothing/);
    expect(missing.stdout).toBe('');
  });
});

describe('jwt command line checks', () => {
  it('refuses an --expires that is not a time span, in one line', async () => {
    const io = captureIo();
    expect(
      await run(
        [
          '--non-interactive',
          '--vectra_url',
          'https://b.example',
          '--vectra_token',
          't',
          '--expires',
          'banana',
        ],
        io,
      ),
    ).toBe(2);
    expect(io.err().trim()).toBe('--expires takes a time span such as 12h, 30d or 1y, got "banana"');
  });

  it('lists every declared field in --help, with the block client that needs it', async () => {
    const io = captureIo();
    expect(await run(['--help'], io)).toBe(0);
    for (const key of Object.keys(settings.jwt)) expect(io.out()).toContain(`--${key} `);
    expect(io.out()).toContain('(with aws_nacl in --block_clients)');
  });

  it('makes a NACL-only token (no Vectra)', async () => {
    const io = captureIo();
    const args = ['--non-interactive', '--json', '--block_clients', 'aws_nacl', '--aws_region', 'eu-west-1'];
    expect(await run([...args, '--aws_nacl_ids', 'acl-0123456789abcdef0'], io)).toBe(0);
    expect(JSON.parse(io.out()).fields).toEqual(['block_clients', 'aws_region', 'aws_nacl_ids']);
  });
});
