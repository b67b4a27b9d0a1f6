/**
 * The user's message as the stream-json agent gets it. It travels as JSON on
 * the agent's stdin, so no quoting is needed and line breaks stay line
 * breaks. Two things Claude Code acts on before the model sees a message
 * must stay text: a leading `/` (a slash command: `/clear` would wipe the
 * conversation) and `@path` after whitespace (the file is read and attached
 * to the message, past the agent's permission rules). A WORD JOINER
 * (U+2060: invisible, not whitespace) in front of each keeps them plain text.
 */
export const WORD_JOINER = '\u2060';

// C0 controls (tab and line feed aside), DEL and the C1 range: nothing a chat message needs.
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const MENTION_RE = /(^|\s)@/g;

export function agentMessage(message: string): string {
  const text = message.replace(/\r\n?/g, '\n').replace(CONTROL_RE, '').replace(MENTION_RE, `$1${WORD_JOINER}@`);
  return text.startsWith('/') ? WORD_JOINER + text : text;
}
