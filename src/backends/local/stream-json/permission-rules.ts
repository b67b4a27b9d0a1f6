import path from 'node:path';

/**
 * Reading Claude Code's permission rules (`Tool`, `Tool(content)`) the way
 * it does, for one purpose: to know which ask rule a call fell under, so an
 * `allow_always` answer grants that rule for the rest of the session
 * (docs/requests.md#rules). Claude Code itself decides whether to ask; a
 * call whose rule this cannot tell is granted only as that exact call, so
 * reading a rule too narrowly never grants more than was asked.
 */

// Edit rules cover every tool that edits files; Read rules the tools that read them.
const COVERED_BY: Partial<Record<string, string[]>> = { Edit: ['Write', 'MultiEdit', 'NotebookEdit'], Read: ['Grep', 'Glob'] };
// The input field that says what a call is about, per tool: its path, command or address.
const SUBJECT_KEYS = ['file_path', 'notebook_path', 'path', 'command', 'url'];
const FILE_TOOLS = new Set(['Read', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Grep', 'Glob']);

/** `Tool` or `Tool(content)`: the form every rule takes (a session's rules are checked against it when it is created). */
export const RULE_RE = /^([A-Za-z][A-Za-z0-9_-]*)(?:\((.*)\))?$/s;

/**
 * The rule an `allow_always` answer grants: the narrowest ask rule the call
 * falls under (one with a pattern before a whole tool), or else the call itself.
 */
export function grantRuleFor(askRules: string[], tool: string, input: Record<string, unknown>, cwd: string): string {
  const covering = askRules.filter((rule) => ruleCovers(rule, tool, input, cwd));
  return covering.find((rule) => rule.includes('(')) ?? covering.at(0) ?? exactRule(tool, input);
}

/**
 * The rule for this one call: `Tool(=<subject>)` (its path, command or
 * address, taken literally) or, for a tool without one, `Tool(=<input as JSON>)`.
 */
export function exactRule(tool: string, input: Record<string, unknown>): string {
  return `${tool}(=${subjectOf(input) ?? JSON.stringify(input)})`;
}

/** Whether `rule` covers a call of `tool` with `input`, as Claude Code reads rules (the forms it documents). */
export function ruleCovers(rule: string, tool: string, input: Record<string, unknown>, cwd: string): boolean {
  const m = RULE_RE.exec(rule.trim());
  if (!m) return false;
  const [, name, content] = m as unknown as [string, string, string | undefined];
  if (name !== tool && !COVERED_BY[name]?.includes(tool) && !(tool.startsWith(`${name}__`) && name.startsWith('mcp__'))) return false;
  if (content === undefined || content === '' || content === '*') return true;
  if (content.startsWith('=')) return content.slice(1) === (subjectOf(input) ?? JSON.stringify(input));
  if (FILE_TOOLS.has(tool)) return fileRuleCovers(content, subjectOf(input), cwd);
  if (tool === 'Bash') return commandRuleCovers(content, input.command);
  if (tool === 'WebFetch') return domainRuleCovers(content, input.url);
  return false;
}

function subjectOf(input: Record<string, unknown>): string | undefined {
  for (const key of SUBJECT_KEYS) {
    const v = input[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** `//abs/glob` is absolute, a bare glob is under the working directory; `~/` and `/` (settings-relative) are not read here. */
function fileRuleCovers(glob: string, file: string | undefined, cwd: string): boolean {
  if (!file || glob.startsWith('~') || (glob.startsWith('/') && !glob.startsWith('//'))) return false;
  const pattern = glob.startsWith('//') ? glob.slice(1) : path.join(cwd, glob);
  return globRegExp(pattern).test(path.resolve(cwd, file));
}

/** `prefix:*` is a prefix of the command; otherwise `*` stands for anything and the rest is literal. */
function commandRuleCovers(content: string, command: unknown): boolean {
  if (typeof command !== 'string') return false;
  if (content.endsWith(':*')) {
    const prefix = content.slice(0, -2);
    return command === prefix || command.startsWith(`${prefix} `);
  }
  return new RegExp(`^${content.split('*').map(escapeRegExp).join('.*')}$`, 's').test(command);
}

function domainRuleCovers(content: string, url: unknown): boolean {
  if (!content.startsWith('domain:') || typeof url !== 'string') return false;
  const domain = content.slice('domain:'.length).toLowerCase();
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === domain || host.endsWith(`.${domain}`);
  } catch {
    return false;
  }
}

/** A path glob as a RegExp: `**` any depth, `*` and `?` within one segment. */
function globRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      // `dir/**` covers dir itself and all below; `**/` any number of directories.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += escapeRegExp(ch);
  }
  return new RegExp(`^${out.replace(/\/\.\*$/, '(?:/.*)?')}$`, 's');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
