import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { AgentPane } from '../../src/backends/local/pty/agent-pane.js';
import { isIdle } from '../../src/backends/local/pty/agent-screen.js';
import { PaliadinProbeController } from '../support/probe-controllers.js';
import { OWNER_EMAIL, TEST_JWT_SECRET, startTestApp } from '../support/test-app.js';
import { testTempDir } from '../support/temp-dirs.js';

const run = promisify(execFile);

/** Runs a compiled CLI (dist/ is built by the global setup) as `npm run <x>` does. */
async function cli(script: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], {
      env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL!, PALIADIN_JWT_SECRET: TEST_JWT_SECRET, NODE_ENV: 'development', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('CLIs', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await startTestApp({ controllers: [PaliadinProbeController] }));
  });
  afterAll(() => app.close());
  const probe = (token: string) => request(app.getHttpServer()).get('/api/paliadin/probe').set('Authorization', `Bearer ${token}`);

  it('npm run token mints a JWT the app accepts', async () => {
    const res = await cli('dist/src/auth/cli/token-cli.js', ['--email', OWNER_EMAIL]);
    expect(res.code).toBe(0);
    const token = res.stdout.trim();
    expect((await probe(token)).status).toBe(200);
  });

  it('npm run token --key mints an RS256 token from a local key, made on first use with its JWKS, that an app trusting that JWKS accepts', async () => {
    const dir = testTempDir('paliadin-devkey-');
    const keyFile = path.join(dir, 'dev-key.pem');
    const first = await cli('dist/src/auth/cli/token-cli.js', ['--email', 'Dev.User@example.com', '--key', keyFile]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`PALIADIN_JWT_JWKS_URL=file://${keyFile}.jwks.json PALIADIN_JWT_ISSUER=paliadin-dev`);
    const [header] = first.stdout.trim().split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
    const again = await cli('dist/src/auth/cli/token-cli.js', ['--email', 'dev.user@example.com', '--key', keyFile, '--ttl', '600']);
    expect(again.stderr).toBe('');
    const other = await cli('dist/src/auth/cli/token-cli.js', ['--email', 'dev.user@example.com', '--key', keyFile, '--alg', 'ES256']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('dev-key.pem is a RS256 key: pass --alg RS256');
    const trusting = await startTestApp({
      controllers: [PaliadinProbeController],
      env: { PALIADIN_OWNER_EMAILS: '', PALIADIN_JWT_JWKS_URL: `file://${keyFile}.jwks.json`, PALIADIN_JWT_ISSUER: 'paliadin-dev' },
    });
    try {
      for (const token of [first.stdout.trim(), again.stdout.trim()]) {
        const res = await request(trusting.app.getHttpServer()).get('/api/paliadin/probe').set('Authorization', `Bearer ${token}`);
        expect(res.body).toMatchObject({ email: 'dev.user@example.com', via: 'jwt' });
      }
    } finally {
      await trusting.app.close();
    }
  });

  it('npm run token refuses a missing email', async () => {
    const res = await cli('dist/src/auth/cli/token-cli.js', []);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('usage: npm run token -- --email');
  });

  it('npm run apikey creates a key shown once, lists it without the secret, and revokes it', async () => {
    const created = await cli('dist/src/auth/cli/apikey-cli.js', ['create', '--email', OWNER_EMAIL, '--scopes', 'paliadin:turn,paliadin:read', '--name', 'ci']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').pop()!;
    expect(key).toMatch(/^pal_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect((await probe(key)).status).toBe(200);

    const listed = await cli('dist/src/auth/cli/apikey-cli.js', ['list']);
    expect(listed.code).toBe(0);
    const prefix = key.slice(4, 16);
    expect(listed.stdout).toContain(prefix);
    expect(listed.stdout).not.toContain(key.slice(17));

    expect((await cli('dist/src/auth/cli/apikey-cli.js', ['revoke', prefix])).code).toBe(0);
    expect((await probe(key)).status).toBe(401);
  });

  it('npm run apikey refuses unknown scopes by name', async () => {
    const res = await cli('dist/src/auth/cli/apikey-cli.js', ['create', '--email', OWNER_EMAIL, '--scopes', 'paliadin:everything']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('unknown scope(s): paliadin:everything');
  });

  it('npm run apikey in production needs a known user or --user-id', async () => {
    const res = await cli('dist/src/auth/cli/apikey-cli.js', ['create', '--email', 'newbie@example.com', '--scopes', 'paliadin:read'], {
      NODE_ENV: 'production',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--user-id');
  });

  it('npm run migration:run and migration:revert work on the embedded database of a data dir', async () => {
    const env = { DATABASE_URL: '', PALIADIN_DATA_DIR: testTempDir('paliadin-cli-') };
    const up = await cli('dist/src/database/migrate-cli.js', ['run'], env);
    expect(up.stdout).toContain('applied: Init');
    expect(up.code).toBe(0);
    expect((await cli('dist/src/database/migrate-cli.js', ['run'], env)).stdout).toContain('no pending migrations');
    const down = await cli('dist/src/database/migrate-cli.js', ['revert'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('reverted');
  });

  it('npm run agent:setup prepares a HOME in which the real Claude Code starts straight to its prompt', async () => {
    const root = testTempDir('paliadin-setup-');
    const env = {
      PALIADIN_DATA_DIR: path.join(root, 'data'),
      PALIADIN_AGENT_HOME: path.join(root, 'home'),
      ANTHROPIC_API_KEY: 'sk-ant-setup-test-0123456789abcdef',
    };
    const res = await cli('dist/src/backends/local/cli/agent-setup-cli.js', [], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`Claude Code prepared for Paliadin in ${env.PALIADIN_AGENT_HOME}`);
    expect(res.stdout).toContain(`allow Edit(/${root}/data/responses/**)`);
    const skill = path.join(env.PALIADIN_AGENT_HOME, '.claude', 'skills', 'paliadin', 'SKILL.md');
    expect(readFileSync(skill, 'utf8')).toContain('[PALIADIN:<turn_id> out=<absolute path>]');

    // No onboarding, trust or key dialog stands in the way: the input box shows.
    const pane = new AgentPane('setup-check', {
      command: path.resolve('node_modules/.bin/claude'),
      args: [],
      cwd: path.join(root, 'data', 'workspace'),
      env: {
        PATH: process.env.PATH!,
        HOME: env.PALIADIN_AGENT_HOME,
        ANTHROPIC_API_KEY: env.ANTHROPIC_API_KEY,
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
        DISABLE_TELEMETRY: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
    });
    try {
      expect(await pane.waitFor(isIdle, 30_000)).toBe(true);
    } finally {
      await pane.kill();
    }
  });

  it('npm run install-skill copies the skill into the given HOME; agent:setup refuses a broken .claude.json by name', async () => {
    const home = testTempDir('paliadin-skill-');
    const res = await cli('dist/src/backends/local/cli/install-skill-cli.js', ['--home', home]);
    expect(res.code).toBe(0);
    expect(readFileSync(path.join(home, '.claude', 'skills', 'paliadin', 'SKILL.md'), 'utf8')).toMatch(/^---\nname: paliadin/);

    writeFileSync(path.join(home, '.claude.json'), '[1,2]');
    const broken = await cli('dist/src/backends/local/cli/agent-setup-cli.js', ['--home', home], { PALIADIN_DATA_DIR: home });
    expect(broken.code).toBe(1);
    expect(broken.stderr.trim()).toBe(`${home}/.claude.json does not hold a JSON object`);
  });
});
