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

/** The tag a user gets unless another user has it already: the first 8 hex digits of their UUID. */
export function firstAgentTag(userId: string): string {
  return userId.replace(/-/g, '').slice(0, 8).toLowerCase();
}
