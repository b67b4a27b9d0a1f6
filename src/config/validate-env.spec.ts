import { describe, expect, it } from '@jest/globals';
import { AppModule } from '../app.module.js';
import { ConfigError, validateEnv } from './validate-env.js';

const fails = (env: Record<string, string>) => () => validateEnv(env);

describe('validateEnv', () => {
  it('applies the documented defaults to an empty environment', () => {
    const env = validateEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.PALIADIN_BACKEND).toBe('local');
    expect(env.PALIADIN_ENABLED).toBe(true);
    expect(env.PALIADIN_OWNER_EMAILS).toEqual([]);
    expect(env.PALIADIN_REMOTE_PORT).toBe(22022);
    expect(env.PALIADIN_AICHAT_PERSONA).toBe('paliadin');
    expect(env.PALIADIN_SILENCE_TIMEOUT_MS).toBe(90_000);
    expect(env.PALIADIN_MAX_INFLIGHT_PER_USER).toBe(4);
  });

  it('converts types and lowercases the owner list', () => {
    const env = validateEnv({ PORT: '8080', PALIADIN_ENABLED: 'false', PALIADIN_OWNER_EMAILS: ' A@Example.COM , d@e.org ,' });
    expect(env.PORT).toBe(8080);
    expect(env.PALIADIN_ENABLED).toBe(false);
    expect(env.PALIADIN_OWNER_EMAILS).toEqual(['a@example.com', 'd@e.org']);
  });

  it.each([
    [{ PALIADIN_BACKEND: 'bogus' }, 'PALIADIN_BACKEND must be one of local, remote, aichat, disabled (got "bogus")'],
    [{ PORT: 'eighty' }, 'PORT must be an integer between 1 and 65535 (got "eighty")'],
    [{ PORT: '70000' }, 'PORT must be an integer between 1 and 65535 (got "70000")'],
    [{ PORT: '0' }, 'PORT must be an integer between 1 and 65535 (got "0")'],
    [{ PALIADIN_RESPONSE_WAIT_MS: '-5' }, 'PALIADIN_RESPONSE_WAIT_MS must be an integer of at least 1 (got "-5")'],
    [{ HOST: '' }, 'HOST should not be empty'],
    [
      { PALIADIN_TRUST_PROXY: '10.0.0.0/33' },
      'PALIADIN_TRUST_PROXY must be false, true, a number of proxy hops, or a comma list of proxy addresses or subnets',
    ],
    [{ PALIADIN_ENABLED: 'ture' }, 'PALIADIN_ENABLED must be true or false'],
    [{ PALIADIN_OWNER_EMAILS: 'a@b.c,not-an-email' }, 'PALIADIN_OWNER_EMAILS must be a comma-separated list of email addresses'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ NODE_ENV: 'production' }, 'PALIADIN_JWT_SECRET must be set in production'],
    [{ PALIADIN_JWT_SECRET: 'short' }, 'PALIADIN_JWT_SECRET must be at least 32 characters'],
    [
      { NODE_ENV: 'production', PALIADIN_JWT_JWKS_URL: 'https://idp.example.com/jwks' },
      "PALIADIN_WEBHOOK_KEY must be set in production when PALIADIN_JWT_SECRET is not (it seals the webhooks' secrets)",
    ],
    [{ PALIADIN_BACKEND: 'aichat' }, 'PALIADIN_AICHAT_URL must be set when PALIADIN_BACKEND=aichat'],
    [{ PALIADIN_BACKEND: 'aichat', PALIADIN_AICHAT_URL: 'ftp://x', PALIADIN_AICHAT_TOKEN: 't' }, 'PALIADIN_AICHAT_URL must be an http:// or https:// URL'],
    [{ PALIADIN_BACKEND: 'remote', PALIADIN_REMOTE_HOST: 'h' }, 'PALIADIN_REMOTE_USER must be set when PALIADIN_BACKEND=remote'],
    [{ PALIADIN_SESSION_PREFIX: 'bad prefix;rm' }, 'PALIADIN_SESSION_PREFIX must be 1-55 characters'],
    [{ PALIADIN_LOCAL_DRIVER: 'acpx' }, 'PALIADIN_LOCAL_DRIVER must be one of stream-json, pty, acp'],
    [{ PALIADIN_ACP_AGENT: 'copilot' }, 'PALIADIN_ACP_AGENT must be one of claude, codex, gemini, command'],
    [{ PALIADIN_LOCAL_DRIVER: 'acp', PALIADIN_ACP_AGENT: 'command' }, 'PALIADIN_ACP_COMMAND must be set when PALIADIN_ACP_AGENT=command'],
    [{ PALIADIN_SILENCE_TIMEOUT_MS: '0' }, 'PALIADIN_SILENCE_TIMEOUT_MS must be an integer of at least 1 (got "0")'],
  ])('refuses %j with one line naming the variable', (env, expected) => {
    expect(fails(env)).toThrow(ConfigError);
    try {
      validateEnv(env);
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain(expected);
      expect(msg.startsWith('Invalid configuration: ')).toBe(true);
      expect(msg).not.toContain('\n');
      // The name is said once ("PORT PORT must ..." was the old way).
      const name = expected.split(' ')[0];
      expect(msg).not.toContain(`${name} ${name}`);
    }
  });

  it('PALIADIN_TRUST_PROXY: false, true, a hop count, or proxy addresses and subnets, as Express takes them', () => {
    expect(validateEnv({}).PALIADIN_TRUST_PROXY).toBe(false);
    expect(validateEnv({ PALIADIN_TRUST_PROXY: 'true' }).PALIADIN_TRUST_PROXY).toBe(true);
    expect(validateEnv({ PALIADIN_TRUST_PROXY: '2' }).PALIADIN_TRUST_PROXY).toBe(2);
    expect(validateEnv({ PALIADIN_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).PALIADIN_TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', '::1']);
  });

  it('production takes an identity provider instead of PALIADIN_JWT_SECRET, with PALIADIN_WEBHOOK_KEY', () => {
    const env = validateEnv({ NODE_ENV: 'production', PALIADIN_JWT_JWKS_URL: 'https://idp.example.com/jwks', PALIADIN_WEBHOOK_KEY: 'k'.repeat(32) });
    expect(env.PALIADIN_JWT_SECRET).toBeUndefined();
    expect(() => validateEnv({ NODE_ENV: 'production', PALIADIN_JWT_SECRET: 's'.repeat(32) })).not.toThrow();
  });

  it('never echoes a secret value in the error', () => {
    expect(fails({ PALIADIN_JWT_SECRET: 'hunter2' })).toThrow(/^(?!.*hunter2).*$/);
  });

  it('only requires the aichat settings when the aichat backend is chosen', () => {
    expect(() => validateEnv({ PALIADIN_BACKEND: 'disabled' })).not.toThrow();
    expect(() => validateEnv({ PALIADIN_BACKEND: 'aichat', PALIADIN_AICHAT_URL: 'http://127.0.0.1:9', PALIADIN_AICHAT_TOKEN: 't' })).not.toThrow();
  });

  it('stops the app module from being built at all', () => {
    expect(() => AppModule.register({ env: { PALIADIN_BACKEND: 'nope' } })).toThrow(/PALIADIN_BACKEND/);
  });
});

describe('.env.example', () => {
  it('documents every variable, and its values boot', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseEnv } = await import('node:util');
    const { Env } = await import('./env.js');
    const example = parseEnv(readFileSync('.env.example', 'utf8'));
    expect(Object.keys(example).sort()).toEqual(Object.keys(new Env()).sort());
    expect(() => validateEnv(example)).not.toThrow();
  });
});
