import { ENVELOPE_RE } from '../../contract/envelope.js';
import type { ModelReply, ModelRequest } from './scripted-model.js';

/** Stated in the log, in /health and in every answer while the demo model runs. */
export const DEMO_NOTICE = 'demo model: no Anthropic credentials are configured, so answers come from a built-in scripted model, not a real AI';

/** A dummy key the demo agent sends to the demo model; it is never valid anywhere else. */
export const DEMO_API_KEY = 'sk-paliadin-demo-model-offline-0000000000';

// The stream-json demo answer comes word by word at this pace, so the chat page shows it growing.
const DEMO_WORD_MS = 25;

/**
 * The demo model's script, for either local driver: an answer that says what
 * it is, echoes the question, shows a chip and carries a trailer, so a
 * newcomer sees the whole protocol work offline. For an envelope (pty) it is
 * one Write of the answer file; for a plain message (stream-json) it is the
 * reply itself, streamed word by word.
 */
export function demoReply(req: ModelRequest): ModelReply {
  if (req.afterToolResult) return { text: 'Answer written (Paliadin demo model).' };
  const m = ENVELOPE_RE.exec(req.userText);
  if (m) return { write: { path: m[2], content: demoAnswer(m[3], 'Claude Code running in a pseudo-terminal, which wrote this answer file') } };
  // Word joiners keep a leading "/" or an @mention from acting (stream-json); they are not part of the question.
  const question = req.userMessage.replaceAll('\u2060', '');
  return { text: demoAnswer(question, 'Claude Code (headless, stream-json), and this answer streamed back word by word'), wordDelayMs: DEMO_WORD_MS };
}

function demoAnswer(rawQuestion: string, path: string): string {
  const question = rawQuestion.trim();
  const shown = question.length > 500 ? `${question.slice(0, 500)} …` : question;
  return [
    "**Demo model.** This answer comes from Paliadin's built-in demo model, not from a real AI: no Anthropic credentials are configured.",
    '',
    `You asked: “${shown}”`,
    '',
    `The whole path worked: your message went through the turn API into ${path}. ` +
      'To get real answers, set `ANTHROPIC_API_KEY` (or log in with `claude`) and restart; see "Connecting a real Claude Code" in the README.',
    '',
    'Chips look like this: [the dashboard](paliad:admin/paliadin).',
    '',
    '<!-- paliadin-meta {"used_tools":["demo"],"rows_seen":[],"classifier_tag":"demo"} -->',
  ].join('\n');
}
