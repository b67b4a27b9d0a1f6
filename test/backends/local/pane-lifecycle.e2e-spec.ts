import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { AgentLaunch } from '../../../src/backends/local/agent-launch.js';
import { AgentPane } from '../../../src/backends/local/pty/agent-pane.js';
import { waitUntil } from '../../support/wait.js';

/** Open descriptors of this (Jest worker) process. */
const openFds = () => readdirSync('/proc/self/fd').length;

/** Processes as [pid, ppid, pgrp, state] from /proc. */
function processes(): [number, number, number, string][] {
  const out: [number, number, number, string][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after its closing parenthesis.
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push([Number(name), Number(ppid), Number(pgrp), state]);
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}
// Zombies count: an agent we fail to reap is a leak. (Jest's own children, such as the
// test database, count too: compare with the baseline.)
const children = () => processes().filter(([, ppid]) => ppid === process.pid).length;
// A killed agent's own children are reparented to init, which reaps them in its own time:
// dead (Z) is gone as far as we are concerned.
const liveInGroups = (groups: Set<number>) => processes().filter(([, , pgrp, state]) => groups.has(pgrp) && state !== 'Z');

// An agent with a child of its own in the background, as Claude Code's tools have. The
// child ignores SIGHUP (the kernel's signal when the terminal's leader dies), so only
// killing the whole process group ends it: killing the direct child would leave it behind.
const launch: AgentLaunch = {
  command: '/bin/sh',
  args: ['-c', 'trap "" HUP; sleep 300 & exec cat'],
  cwd: '/tmp',
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
};

describe('agent panes: spawn and kill', () => {
  it('after 200 spawn/kill cycles the descriptors and child processes are back to baseline, and no process group survives', async () => {
    // One warm-up cycle: the first spawn loads node-pty for good.
    const warm = new AgentPane('warm', launch);
    await warm.kill();
    await waitUntil(() => liveInGroups(new Set([warm.pid])).length === 0, 5_000, 'the warm-up agent to end');
    const fdsBefore = openFds();
    const childrenBefore = children();

    const groups: number[] = [];
    for (let i = 0; i < 200; i++) {
      const pane = new AgentPane(`cycle-${i}`, launch);
      groups.push(pane.pid);
      // The background child exists before we kill: the group really has two members.
      await waitUntil(() => processes().filter(([, , pgrp]) => pgrp === pane.pid).length >= 2, 5_000, 'the agent and its child');
      await pane.kill();
    }

    // Children and descriptors at or below the baseline: one the worker had then (its own, not a pane's) may have
    // ended since (CI once saw 25 descriptors against 26). A pane that leaked one per cycle would leave hundreds more.
    await waitUntil(() => children() <= childrenBefore, 10_000, 'every agent to be reaped');
    await waitUntil(() => openFds() <= fdsBefore, 10_000, `descriptors back to ${fdsBefore} (now ${openFds()})`);
    expect(liveInGroups(new Set(groups))).toEqual([]);
  }, 120_000);
});
