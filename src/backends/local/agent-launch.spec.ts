import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AppConfig } from '../../config/app-config.js';
import { validateEnv } from '../../config/validate-env.js';
import { agentLaunch, demoAgentHome, shouldUseDemoModel } from './agent-launch.js';
import { testTempDir } from '../../../test/support/temp-dirs.js';

const home = () => testTempDir('paliadin-home-');
const config = (env: Record<string, string>) => new AppConfig(validateEnv({ PALIADIN_DATA_DIR: '/tmp/paliadin-launch', ...env }));

describe('which model the local agent uses', () => {
  afterEach(() => {
    delete process.env.ANTHROPIC_AUTH_TOKEN;
  });

  it('development without any credentials: the demo model', () => {
    expect(shouldUseDemoModel(config({ NODE_ENV: 'development', PALIADIN_AGENT_HOME: home() }))).toBe(true);
  });

  it('never in production or test, nor when switched off', () => {
    expect(shouldUseDemoModel(config({ NODE_ENV: 'production', PALIADIN_JWT_SECRET: 'x'.repeat(32), PALIADIN_AGENT_HOME: home() }))).toBe(false);
    expect(shouldUseDemoModel(config({ NODE_ENV: 'test', PALIADIN_AGENT_HOME: home() }))).toBe(false);
    expect(shouldUseDemoModel(config({ NODE_ENV: 'development', PALIADIN_DEMO_MODEL: 'off', PALIADIN_AGENT_HOME: home() }))).toBe(false);
  });

  it('any credential means the real model: a key, a base URL, a token, or a logged-in Claude Code', () => {
    const dev = { NODE_ENV: 'development', PALIADIN_AGENT_HOME: home() };
    expect(shouldUseDemoModel(config({ ...dev, ANTHROPIC_API_KEY: 'sk-ant-real' }))).toBe(false);
    expect(shouldUseDemoModel(config({ ...dev, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }))).toBe(false);
    process.env.ANTHROPIC_AUTH_TOKEN = 'token';
    expect(shouldUseDemoModel(config(dev))).toBe(false);
    delete process.env.ANTHROPIC_AUTH_TOKEN;
    const loggedIn = home();
    mkdirSync(path.join(loggedIn, '.claude'));
    writeFileSync(path.join(loggedIn, '.claude', '.credentials.json'), '{}');
    expect(shouldUseDemoModel(config({ NODE_ENV: 'development', PALIADIN_AGENT_HOME: loggedIn }))).toBe(false);
  });

  it('the launch: configured command and args (no shell), the agent HOME, the model settings, no telemetry', () => {
    const h = home();
    const launch = agentLaunch(
      config({ PALIADIN_AGENT_COMMAND: 'claude', PALIADIN_AGENT_ARGS: ' --model  sonnet ', PALIADIN_AGENT_HOME: h, ANTHROPIC_API_KEY: 'sk-ant-x' }),
    );
    expect(launch.command).toBe('claude');
    expect(launch.args).toEqual(['--model', 'sonnet']);
    expect(launch.cwd).toBe('/tmp/paliadin-launch/workspace');
    expect(launch.env).toMatchObject({ HOME: h, ANTHROPIC_API_KEY: 'sk-ant-x', DISABLE_TELEMETRY: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });
    const demo = agentLaunch(config({}), { baseUrl: 'http://127.0.0.1:1', apiKey: 'sk-demo', home: demoAgentHome(config({})) });
    expect(demo.env).toMatchObject({ HOME: '/tmp/paliadin-launch/agent-home', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', ANTHROPIC_API_KEY: 'sk-demo' });
  });
});
