/** Agent session names reach tmux, ssh and the shim: only this alphabet (docs/agent-protocol.md). */
export const SESSION_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** `<prefix>-<first 8 hex of the user uuid>`, validated before anyone uses it. */
export function agentSessionName(prefix: string, userId: string): string {
  const name = `${prefix}-${userId.replace(/-/g, '').slice(0, 8).toLowerCase()}`;
  if (!SESSION_NAME_RE.test(name)) throw new Error(`invalid agent session name: ${JSON.stringify(name)}`);
  return name;
}
