import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../config/project-root.js';

/** What Claude Code needs in its HOME to run unattended under the service. */
export interface AgentHomeSetup {
  home: string;
  /** The agent's working directory: marked trusted, so no trust dialog blocks the pane. */
  cwd: string;
  /** The only place the agent may write without asking. */
  responseDir: string;
  /** An API key to pre-approve (Claude Code asks once per key otherwise). */
  apiKey?: string;
}

/** The skill source in this repository. */
export function skillSource(): string {
  return path.join(projectRoot(), 'skills', 'paliadin', 'SKILL.md');
}

/** Copies skills/paliadin/SKILL.md into `<home>/.claude/skills/paliadin/`, where Claude Code finds skills. */
export async function installSkill(home: string): Promise<string> {
  const target = path.join(home, '.claude', 'skills', 'paliadin', 'SKILL.md');
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(skillSource(), target);
  return target;
}

/**
 * Prepares an agent HOME, merging into what is there rather than replacing
 * it: onboarding marked done, the working directory trusted, the key
 * approved, Edit/Write allowed under the response directory only (permissions
 * are never switched off), and the skill installed. Safe to run again.
 */
export async function prepareAgentHome(s: AgentHomeSetup): Promise<string[]> {
  const done: string[] = [];
  await mkdir(s.cwd, { recursive: true });
  await mkdir(s.responseDir, { recursive: true });

  const statePath = path.join(s.home, '.claude.json');
  const state = await readJson(statePath);
  state.hasCompletedOnboarding = true;
  const projects = (state.projects ??= {}) as Record<string, Record<string, unknown>>;
  projects[s.cwd] = { ...projects[s.cwd], hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true };
  if (s.apiKey) {
    // Claude Code remembers approved keys by their last 20 characters.
    const responses = (state.customApiKeyResponses ??= { approved: [], rejected: [] }) as { approved?: string[]; rejected?: string[] };
    const tail = s.apiKey.slice(-20);
    responses.approved = [...new Set([...(responses.approved ?? []), tail])];
    responses.rejected = (responses.rejected ?? []).filter((k) => k !== tail);
  }
  await writeJson(statePath, state);
  done.push(`${statePath}: onboarding done, ${s.cwd} trusted${s.apiKey ? ', API key approved' : ''}`);

  const settingsPath = path.join(s.home, '.claude', 'settings.json');
  const settings = await readJson(settingsPath);
  const permissions = (settings.permissions ??= {}) as { allow?: string[] };
  // `Edit(...)` covers the Write tool; `//` starts an absolute path in Claude Code's permission rules.
  const rule = `Edit(/${path.resolve(s.responseDir)}/**)`;
  permissions.allow = [...new Set([...(permissions.allow ?? []), rule])];
  await writeJson(settingsPath, settings);
  done.push(`${settingsPath}: allow ${rule}`);

  done.push(`skill installed: ${await installSkill(s.home)}`);
  return done;
}

let trusting: Promise<unknown> = Promise.resolve();

/**
 * Marks `dir` trusted in the agent HOME's `.claude.json` (Claude Code also
 * trusts what lies below a trusted directory: named sessions' workspaces),
 * merging into what is there. One write at a time in this
 * process, each renamed into place.
 */
export function trustDirectory(home: string, dir: string): Promise<void> {
  const write = async () => {
    const statePath = path.join(home, '.claude.json');
    const state = await readJson(statePath);
    const projects = (state.projects ??= {}) as Partial<Record<string, Record<string, unknown>>>;
    if (projects[dir]?.hasTrustDialogAccepted === true) return;
    projects[dir] = { ...projects[dir], hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true };
    await writeJson(statePath, state);
  };
  const next = trusting.then(write, write);
  trusting = next.catch(() => undefined);
  return next;
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) return {};
  const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`${file} does not hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Written beside and renamed into place: a running agent never reads half a file. */
async function writeJson(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}
