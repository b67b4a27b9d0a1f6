import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { prepareAgentHome, skillSource } from './agent-home.js';
import { testTempDir } from '../../../test/support/temp-dirs.js';

describe('preparing the agent HOME', () => {
  it('marks onboarding done, trusts the workspace, approves the key, allows Edit under the response dir only, installs the skill; keeps what was there', async () => {
    const root = testTempDir('paliadin-home-');
    const home = path.join(root, 'home');
    const cwd = path.join(root, 'ws');
    const responseDir = path.join(root, 'responses');
    await prepareAgentHome({ home, cwd, responseDir }); // first run creates the files
    // Someone's own settings in place already:
    writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ theme: 'dark', projects: { '/other': { hasTrustDialogAccepted: false } } }));
    writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ model: 'opus', permissions: { allow: ['Read(//etc/**)'], deny: ['Bash'] } }));

    await prepareAgentHome({ home, cwd, responseDir, apiKey: 'sk-ant-0123456789-abcdefghijklmnopqrst' });
    await prepareAgentHome({ home, cwd, responseDir, apiKey: 'sk-ant-0123456789-abcdefghijklmnopqrst' }); // idempotent

    const state = JSON.parse(readFileSync(path.join(home, '.claude.json'), 'utf8'));
    expect(state).toMatchObject({
      theme: 'dark',
      hasCompletedOnboarding: true,
      projects: { '/other': { hasTrustDialogAccepted: false }, [cwd]: { hasTrustDialogAccepted: true } },
      customApiKeyResponses: { approved: ['abcdefghijklmnopqrst'], rejected: [] },
    });
    const settings = JSON.parse(readFileSync(path.join(home, '.claude', 'settings.json'), 'utf8'));
    expect(settings).toEqual({ model: 'opus', permissions: { allow: ['Read(//etc/**)', `Edit(/${responseDir}/**)`], deny: ['Bash'] } });
    expect(settings.permissions.allow[1]).toMatch(/^Edit\(\/\/tmp\//);
    expect(readFileSync(path.join(home, '.claude', 'skills', 'paliadin', 'SKILL.md'), 'utf8')).toBe(readFileSync(skillSource(), 'utf8'));
  });

  it('the skill teaches the envelope, one Write to out, the trailer and paliad: chips', () => {
    const skill = readFileSync(skillSource(), 'utf8');
    expect(skill).toMatch(/^---\nname: paliadin\ndescription: .+\n---\n/);
    expect(skill).toContain('[PALIADIN:<turn_id> out=<absolute path>]');
    expect(skill).toContain('**one Write**');
    expect(skill).toContain('<!-- paliadin-meta {"used_tools"');
    expect(skill).toContain('(paliad:case/42)');
  });
});
