/**
 * The line typed into the agent for one turn (docs/agent-protocol.md):
 * `[PALIADIN:<turn_id> out=<abs path>] <message>`. Local and remote backends
 * share it; the skill teaches the agent to recognise it.
 */
/** After a turn timed out, its answer file is looked for this long (local and remote backends). */
export const LATE_ANSWER_WINDOW_MS = 15 * 60_000;

export const ENVELOPE_RE = /\[PALIADIN:([0-9a-f-]{36}) out=([^\]\s]+)\]\s?([\s\S]*)/;

// C0 controls (ESC included), DEL and the C1 range. A terminal would act on any of them as a key
// or the start of an escape sequence; what is left of a sequence ("[31m") stays as plain text.
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/g;
const LINE_BREAK_RE = /\r\n|[\r\n\t\u2028\u2029]/g;

/**
 * Makes user text safe to type into a terminal: line breaks and tabs become
 * spaces (a typed newline is Enter, which would submit half a message), every
 * other control character is dropped.
 */
export function sanitiseForTerminal(message: string): string {
  return message.replace(LINE_BREAK_RE, ' ').replace(CONTROL_RE, '');
}

/** The envelope for a turn; the message is sanitised here so no caller can forget. */
export function buildEnvelope(turnId: string, outPath: string, message: string): string {
  return `[PALIADIN:${turnId} out=${outPath}] ${sanitiseForTerminal(message)}`;
}
