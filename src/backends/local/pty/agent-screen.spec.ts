import { describe, expect, it } from '@jest/globals';
import { hasInputBox, inputText, isBusy, isIdle } from './agent-screen.js';

// Screens as Claude Code 2.1 draws them (trimmed), captured in a pseudo-terminal.
const RULE = '─'.repeat(120);
const idle = ['╭─── Claude Code v2.1.197 ───╮', '╰────────────────────────────╯', RULE, '❯ ', RULE, '  ? for shortcuts · ← for agents'];
const typed = [RULE, '❯ [PALIADIN:1 out=/r/1.md] hello', RULE, '                ● high · /effort'];
const busy = ['❯ [PALIADIN:1 out=/r/1.md] hello', '· Roosting… ', RULE, '❯ ', RULE, '  esc to interrupt · ← for agents'];
const trustDialog = [' Do you trust the files in this folder?', ' ❯ 1. Yes, proceed', '   2. No, exit'];
const wrapped = [RULE, '❯ ' + 'x'.repeat(118), 'yyyy', RULE];

describe('reading the agent screen', () => {
  it('knows the idle prompt, a typed message, a busy agent and a dialog apart', () => {
    expect(isIdle(idle)).toBe(true);
    expect(inputText(idle)).toBe('');
    expect(isIdle(typed)).toBe(true);
    expect(inputText(typed)).toBe('[PALIADIN:1 out=/r/1.md] hello');
    expect(isBusy(busy)).toBe(true);
    expect(isIdle(busy)).toBe(false);
    expect(hasInputBox(trustDialog)).toBe(false);
    expect(isIdle(trustDialog)).toBe(false);
  });

  it('reads input that wraps over several rows', () => {
    expect(inputText(wrapped)).toBe('x'.repeat(118) + 'yyyy');
  });
});
