import type { SessionRules } from '../../../contract/requests.js';

/**
 * What a stream-json agent may do (docs/requests.md#rules): only the tools
 * PALIADIN_AGENT_TOOLS names exist for it; Claude Code weighs each call
 * against the rules, deny first, then ask, then allow; a call an ask rule
 * covers is put to the turn's caller, and one no rule covers is refused
 * (nobody is asked about it, as before requests existed).
 */
export interface AgentPermissions {
  /** Claude Code's `--tools`: the built-in tools the model is offered at all. */
  tools: string[];
  /** Claude Code's `--allowedTools`: permission rules, e.g. `Edit(//srv/ws/**)`. */
  allow: string[];
  /** Rules whose calls the caller is asked about. */
  ask: string[];
  /** Rules whose calls are refused without asking. */
  deny: string[];
}

/** The deployment's rules (PALIADIN_AGENT_*), each a comma list. */
export interface DeploymentRules {
  tools: string;
  allow: string;
  ask: string;
  deny: string;
}

/**
 * The deployment's rules with the session's added. `{workspace}` stands for
 * the agent session's working directory, written as Claude Code's
 * absolute-path rule form (`//` + the path without its leading slash), so
 * `Read({workspace}/**)` reads "anything under the workspace".
 */
export function agentPermissions(rules: DeploymentRules, workspace: string, session: SessionRules = {}): AgentPermissions {
  const rulePath = `/${workspace}`;
  const resolve = (list: string[]) => list.map((rule) => rule.replaceAll('{workspace}', rulePath));
  return {
    tools: splitList(rules.tools),
    allow: resolve([...splitList(rules.allow), ...(session.allow ?? [])]),
    ask: resolve([...splitList(rules.ask), ...(session.ask ?? [])]),
    deny: resolve([...splitList(rules.deny), ...(session.deny ?? [])]),
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
