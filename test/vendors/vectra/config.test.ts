import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/kernel/config.js';
import { RelayError } from '../../../src/kernel/errors.js';
import { parseVectraConfig, VECTRA_DEFAULTS } from '../../../src/vendors/vectra/config.js';

const loopback = makeConfig({ allowLoopbackUpstreams: true });
const strict = makeConfig({ allowLoopbackUpstreams: false });

function rejection(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RelayError) return err;
    throw err;
  }
  throw new Error('expected a RelayError');
}

describe('parseVectraConfig', () => {
  it('is not configured without vectra_url', () => {
    expect(parseVectraConfig({ vectra_token: 'x' }, strict)).toBeUndefined();
    expect(parseVectraConfig({ vectra_url: '  ' }, strict)).toBeUndefined();
  });

  it('reads a v2.5 token configuration with the VAR defaults', () => {
    const cfg = parseVectraConfig({ vectra_url: 'https://brain.corp.example/', vectra_token: 'tok' }, strict);
    expect(cfg).toMatchObject({
      url: 'https://brain.corp.example',
      apiVersion: 'v2.5',
      apiBase: 'https://brain.corp.example/api/v2.5',
      auth: { kind: 'token', token: 'tok' },
      uiUrl: 'https://brain.corp.example',
      ...VECTRA_DEFAULTS,
    });
  });

  it('defaults to v3 with OAuth at <url>/oauth2/token for portal.vectra.ai tenants', () => {
    const cfg = parseVectraConfig(
      {
        vectra_url: 'https://123.eu-west-1.portal.vectra.ai',
        vectra_client_id: 'id',
        vectra_client_secret: 's',
      },
      strict,
    );
    expect(cfg?.apiVersion).toBe('v3');
    expect(cfg?.apiBase).toBe('https://123.eu-west-1.portal.vectra.ai/api/v3.4');
    expect(cfg?.auth).toMatchObject({
      kind: 'oauth',
      tokenUrl: 'https://123.eu-west-1.portal.vectra.ai/oauth2/token',
      useRefreshToken: true,
    });
  });

  it('uses v2.5 OAuth under /api/v2.5/oauth2/token without refresh tokens when given a client on-prem', () => {
    const cfg = parseVectraConfig(
      { vectra_url: 'https://brain.example', vectra_client_id: 'id', vectra_client_secret: 's' },
      strict,
    );
    expect(cfg?.auth).toMatchObject({
      tokenUrl: 'https://brain.example/api/v2.5/oauth2/token',
      useRefreshToken: false,
    });
  });

  it('lets vectra_api_version override the host rule and reads custom VAR names and the UI URL', () => {
    const cfg = parseVectraConfig(
      {
        vectra_url: 'https://brain.example',
        vectra_api_version: 'v3',
        vectra_client_id: 'id',
        vectra_client_secret: 's',
        vectra_ui_url: 'https://ui.example/',
        vectra_unblock_host_tag: 'release-me',
        vectra_no_block_host_group: 'Crown Jewels',
      },
      strict,
    );
    expect(cfg).toMatchObject({
      apiVersion: 'v3',
      uiUrl: 'https://ui.example',
      unblockHostTag: 'release-me',
      noBlockHostGroup: 'Crown Jewels',
      blockHostTag: 'vectra_host_block',
    });
  });

  it.each([
    [{ vectra_url: 'https://b.example' }, 'vectra_token is missing'],
    [{ vectra_url: 'https://b.example', vectra_client_id: 'id' }, 'vectra_client_secret is missing'],
    [{ vectra_url: 'https://b.example', vectra_client_secret: 's' }, 'vectra_client_id is missing'],
    [
      { vectra_url: 'https://x.portal.vectra.ai', vectra_token: 't' },
      'vectra_client_id and vectra_client_secret are missing',
    ],
    [
      { vectra_url: 'https://b.example', vectra_token: 't', vectra_api_version: 'v4' },
      'vectra_api_version is invalid',
    ],
  ])('names the missing or bad field %#', (claims, detail) => {
    const err = rejection(() => parseVectraConfig(claims, strict));
    expect(err.code).toBe('authorization error');
    expect(err.message).toBe(`Authorization failed: Wrong JWT payload structure: ${detail}`);
  });

  it.each([
    ['http://brain.example', loopback, 'vectra_url must use https'],
    ['http://10.0.0.5', loopback, 'vectra_url must use https'],
    ['http://127.0.0.1:8080', strict, 'vectra_url must use https'],
    ['ftp://brain.example', loopback, 'vectra_url must use https'],
    ['https://user:pw@brain.example', loopback, 'vectra_url must not contain credentials'],
    ['https://brain.example/?x=1', loopback, 'vectra_url must not contain a query or fragment'],
    ['https://brain.example/#frag', loopback, 'vectra_url must not contain a query or fragment'],
    ['not a url', loopback, 'vectra_url is not a valid URL'],
  ])('refuses %s', (url, config, detail) => {
    const err = rejection(() => parseVectraConfig({ vectra_url: url, vectra_token: 't' }, config));
    expect(err.code).toBe('authorization error');
    expect(err.message).toContain(detail);
  });

  it('refuses a bad vectra_ui_url by name', () => {
    const err = rejection(() =>
      parseVectraConfig(
        { vectra_url: 'https://b.example', vectra_token: 't', vectra_ui_url: 'http://ui.example' },
        strict,
      ),
    );
    expect(err.message).toContain('vectra_ui_url must use https');
  });

  it.each(['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:9', 'http://[::1]:8080'])(
    'accepts loopback http %s only when the deployment allows it',
    (url) => {
      expect(parseVectraConfig({ vectra_url: url, vectra_token: 't' }, loopback)?.url).toBe(url);
    },
  );
});
