import { describe, expect, it } from '@jest/globals';
import { exactRule, grantRuleFor, ruleCovers } from './permission-rules.js';

const cwd = '/srv/ws';

describe('permission rules, read as Claude Code reads them (for allow_always grants)', () => {
  it('a bare tool, or Tool(*), covers every call of it; Edit covers the tools that edit files, Read those that read them', () => {
    expect(ruleCovers('Write', 'Write', { file_path: '/x' }, cwd)).toBe(true);
    expect(ruleCovers('Write(*)', 'Write', { file_path: '/x' }, cwd)).toBe(true);
    expect(ruleCovers('Write', 'Edit', { file_path: '/x' }, cwd)).toBe(false);
    expect(ruleCovers('Edit', 'Write', { file_path: '/x' }, cwd)).toBe(true);
    expect(ruleCovers('Edit', 'NotebookEdit', { notebook_path: '/x' }, cwd)).toBe(true);
    expect(ruleCovers('Read', 'Grep', { pattern: 'a', path: '/x' }, cwd)).toBe(true);
    expect(ruleCovers('mcp__client', 'mcp__client__open_case', {}, cwd)).toBe(true);
    expect(ruleCovers('mcp__client', 'mcp__clientele__x', {}, cwd)).toBe(false);
  });

  it('path rules: //absolute globs, bare globs under the working directory; ~ and settings-relative ones are not guessed', () => {
    expect(ruleCovers('Edit(//srv/ws/docs/**)', 'Write', { file_path: '/srv/ws/docs/a/b.md' }, cwd)).toBe(true);
    expect(ruleCovers('Edit(//srv/ws/docs/**)', 'Write', { file_path: '/srv/ws/docs' }, cwd)).toBe(true);
    expect(ruleCovers('Edit(//srv/ws/docs/**)', 'Write', { file_path: '/srv/ws/docsx/a.md' }, cwd)).toBe(false);
    expect(ruleCovers('Edit(//srv/ws/*.md)', 'Write', { file_path: '/srv/ws/a.md' }, cwd)).toBe(true);
    expect(ruleCovers('Edit(//srv/ws/*.md)', 'Write', { file_path: '/srv/ws/d/a.md' }, cwd)).toBe(false);
    expect(ruleCovers('Edit(docs/**)', 'Write', { file_path: '/srv/ws/docs/a.md' }, cwd)).toBe(true);
    expect(ruleCovers('Edit(docs/**)', 'Write', { file_path: 'docs/a.md' }, cwd)).toBe(true);
    expect(ruleCovers('Edit(~/x/**)', 'Write', { file_path: '/root/x/a' }, cwd)).toBe(false);
    expect(ruleCovers('Edit(/x/**)', 'Write', { file_path: '/x/a' }, cwd)).toBe(false);
    expect(ruleCovers('Read(//srv/ws/a.(md))', 'Read', { file_path: '/srv/ws/a.(md)' }, cwd)).toBe(true);
  });

  it('Bash: prefix:* is a prefix of whole words, * anywhere else; the rest is literal', () => {
    expect(ruleCovers('Bash(git push:*)', 'Bash', { command: 'git push origin main' }, cwd)).toBe(true);
    expect(ruleCovers('Bash(git push:*)', 'Bash', { command: 'git push' }, cwd)).toBe(true);
    expect(ruleCovers('Bash(git push:*)', 'Bash', { command: 'git pushx' }, cwd)).toBe(false);
    expect(ruleCovers('Bash(npm run *)', 'Bash', { command: 'npm run test' }, cwd)).toBe(true);
    expect(ruleCovers('Bash(ls -l)', 'Bash', { command: 'ls -la' }, cwd)).toBe(false);
    expect(ruleCovers('Bash(a.b)', 'Bash', { command: 'axb' }, cwd)).toBe(false);
  });

  it('WebFetch(domain:…) covers the domain and its subdomains', () => {
    expect(ruleCovers('WebFetch(domain:example.com)', 'WebFetch', { url: 'https://docs.example.com/a' }, cwd)).toBe(true);
    expect(ruleCovers('WebFetch(domain:example.com)', 'WebFetch', { url: 'https://badexample.com/' }, cwd)).toBe(false);
    expect(ruleCovers('WebFetch(domain:example.com)', 'WebFetch', { url: 'not a url' }, cwd)).toBe(false);
  });

  it('an exact rule is the one call, taken literally: a * in a command stands for itself', () => {
    expect(exactRule('Bash', { command: 'rm *.tmp' })).toBe('Bash(=rm *.tmp)');
    expect(ruleCovers('Bash(=rm *.tmp)', 'Bash', { command: 'rm *.tmp' }, cwd)).toBe(true);
    expect(ruleCovers('Bash(=rm *.tmp)', 'Bash', { command: 'rm -rf /' }, cwd)).toBe(false);
    expect(exactRule('TodoWrite', { todos: [] })).toBe('TodoWrite(={"todos":[]})');
    expect(ruleCovers('TodoWrite(={"todos":[]})', 'TodoWrite', { todos: [] }, cwd)).toBe(true);
  });

  it('grants the narrowest ask rule that covers the call, else the call itself', () => {
    expect(grantRuleFor(['Write', 'Edit(//srv/ws/docs/**)'], 'Write', { file_path: '/srv/ws/docs/a.md' }, cwd)).toBe('Edit(//srv/ws/docs/**)');
    expect(grantRuleFor(['Write', 'Edit(//srv/ws/docs/**)'], 'Write', { file_path: '/srv/ws/a.md' }, cwd)).toBe('Write');
    // Claude Code asked under a rule this does not read: only this call is granted, never more.
    expect(grantRuleFor(['Edit(~/notes/**)'], 'Write', { file_path: '/root/notes/a.md' }, cwd)).toBe('Write(=/root/notes/a.md)');
  });
});
