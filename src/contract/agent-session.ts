/** Agent session names reach tmux, ssh and the shim: only this alphabet (docs/agent-protocol.md). */
export const SESSION_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `<prefix>-<the user's agent tag>`, validated before anyone uses it. The tag
 * (`users.agent_tag`, on the Principal as `agentTag`) is 8 hex digits of the
 * user's UUID that no other user has: the first 8 unless taken
 * (docs/agent-protocol.md, "Sessions").
 */
export function agentSessionName(prefix: string, agentTag: string): string {
  const name = `${prefix}-${agentTag}`;
  if (!SESSION_NAME_RE.test(name)) throw new Error(`invalid agent session name: ${JSON.stringify(name)}`);
  return name;
}

/** A tag: 8 hex digits of the user's UUID, or in the rarest case all 32 (migrations/1765900000000-AgentTags.ts). */
const TAG_RE = /^([0-9a-f]{32}|[0-9a-f]{8})(?:-|$)/;

/** The name of a named session from its agent session (`<prefix>-<tag>-<name>`); undefined for a user's default one. */
export function sessionNameOf(prefix: string, agentSession: string): string | undefined {
  if (!agentSession.startsWith(`${prefix}-`)) return undefined;
  const rest = agentSession.slice(prefix.length + 1);
  const tag = TAG_RE.exec(rest)?.[1];
  return tag && rest.length > tag.length ? rest.slice(tag.length + 1) : undefined;
}

/** The tag a user gets unless another user has it already: the first 8 hex digits of their UUID. */
export function firstAgentTag(userId: string): string {
  return userId.replace(/-/g, '').slice(0, 8).toLowerCase();
}
