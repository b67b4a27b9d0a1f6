/**
 * Reading Claude Code's terminal UI. The screen is the only interface an
 * interactive agent has, so these are the few facts we rely on, kept in one
 * place (checked against Claude Code 2.1):
 * - the input box is a line starting with `❯` directly under a rule of `─`;
 *   dialogs (trust, login) show `❯` before a numbered option instead;
 * - while it works, the footer says "esc to interrupt".
 */
const RULE_RE = /^─{10,}\s*$/;
const BUSY_RE = /esc to interrupt/i;

/** The input box is on screen. */
export function hasInputBox(lines: string[]): boolean {
  return lines.some((line, i) => i > 0 && line.startsWith('❯') && RULE_RE.test(lines[i - 1]));
}

/** The agent is working on something (a turn, or a queued message). */
export function isBusy(lines: string[]): boolean {
  return lines.some((line) => BUSY_RE.test(line));
}

/** Ready to take a message: the input box shows and nothing is running. */
export function isIdle(lines: string[]): boolean {
  return hasInputBox(lines) && !isBusy(lines);
}

/** What the input box holds right now (empty when submitted). */
export function inputText(lines: string[]): string {
  const i = lines.findIndex((line, j) => j > 0 && line.startsWith('❯') && RULE_RE.test(lines[j - 1]));
  if (i < 0) return '';
  const out = [lines[i].slice(1)];
  for (let j = i + 1; j < lines.length && !RULE_RE.test(lines[j]); j++) out.push(lines[j]);
  return out.join('').trim();
}
