/**
 * What a stream-json agent may do (README: The local backend, permissions):
 * only the tools PALIADIN_AGENT_TOOLS names exist for it, it may use them
 * without asking only as PALIADIN_AGENT_ALLOW's rules say, and everything
 * else is refused (permission mode dontAsk: nobody is there to ask).
 */
export interface AgentPermissions {
  /** Claude Code's `--tools`: the built-in tools the model is offered at all. */
  tools: string[];
  /** Claude Code's `--allowedTools`: permission rules, e.g. `Edit(//srv/ws/**)`. */
  allow: string[];
}

/**
 * `{workspace}` stands for the agent session's working directory, written as
 * Claude Code's absolute-path rule form (`//` + the path without its leading
 * slash), so `Read({workspace}/**)` reads "anything under the workspace".
 */
export function agentPermissions(tools: string, allow: string, workspace: string): AgentPermissions {
  const rulePath = `/${workspace}`;
  return {
    tools: splitList(tools),
    allow: splitList(allow).map((rule) => rule.replaceAll('{workspace}', rulePath)),
  };
}

/** Splits on commas outside parentheses: a rule's own argument may hold one (`Bash(git log -n 1, *)`). */
export function splitList(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out.map((s) => s.trim()).filter(Boolean);
}
