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
  const m = ENVELOPE_RE.exec(req.userText);
  if (req.afterToolResult) return { text: m ? 'Answer written (Paliadin demo model).' : `Demo model: the tool call came back with: ${toolResultOf(req)}` };
  if (m) return { write: { path: m[2], content: demoAnswer(m[3], 'Claude Code running in a pseudo-terminal, which wrote this answer file') } };
  // Word joiners keep a leading "/" or an @mention from acting (stream-json); they are not part of the question.
  const question = req.userMessage.replaceAll('\u2060', '');
  const tool = demoToolCall(question, req.body.tools?.map((t) => t.name) ?? []);
  if (tool) return { text: `Demo model: calling ${tool.name}.`, tools: [tool] };
  return { text: demoAnswer(question, 'Claude Code (headless, stream-json), and this answer streamed back word by word'), wordDelayMs: DEMO_WORD_MS };
}

/**
 * The demo model uses tools when asked in so many words, so requests
 * (docs/requests.md) can be tried offline: "write <file>" writes a file in
 * the agent's workspace, "ask me" asks a question (when AskUserQuestion is
 * among the agent's tools), "call <name>" calls a client tool of the turn.
 */
function demoToolCall(question: string, offered: string[]): { name: string; input: Record<string, unknown> } | undefined {
  const write = /\bwrite\s+([\w.-]+\.\w+)/i.exec(question);
  if (write && offered.includes('Write')) return { name: 'Write', input: { file_path: write[1], content: 'Written by the Paliadin demo model.\n' } };
  if (/\bask me\b/i.test(question) && offered.includes('AskUserQuestion')) {
    return {
      name: 'AskUserQuestion',
      input: {
        questions: [
          {
            question: 'Which format should the summary have?',
            header: 'Format',
            multiSelect: false,
            options: [
              { label: 'Bullet points', description: 'short, one line each' },
              { label: 'Prose', description: 'a paragraph or two' },
            ],
          },
        ],
      },
    };
  }
  const call = /\bcall\s+([\w-]+)/i.exec(question);
  if (call && offered.includes(`mcp__client__${call[1]}`)) return { name: `mcp__client__${call[1]}`, input: {} };
  return undefined;
}

/** The text of the tool results in the newest message, cut short. */
function toolResultOf(req: ModelRequest): string {
  const last = req.body.messages?.at(-1);
  const parts = Array.isArray(last?.content) ? last.content : [];
  const textOf = (c: unknown): string =>
    typeof c === 'string' ? c : Array.isArray(c) ? c.map((b: { text?: unknown }) => (typeof b.text === 'string' ? b.text : '')).join(' ') : '';
  const text = parts.map((p) => textOf(p.content)).join(' ');
  return text.length > 300 ? `${text.slice(0, 300)} …` : text;
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
