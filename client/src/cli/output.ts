import { PaliadinError } from '../errors.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Where the CLI writes. stdout carries only what a pipe wants: the answer,
 * a command's result, or with --json nothing but JSON lines. Everything a
 * person watches go by (tool calls, notices, the spinner) goes to stderr,
 * so `paliadin chat "…" > answer.txt` gets the answer and nothing else.
 */
export class Output {
  private frame = 0;
  private label: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The last thing written to stdout did not end its line. */
  private midLine = false;
  /** A person is being asked something on the terminal: the spinner keeps off their line. */
  private prompting = false;

  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  /** A spinner only where a person sees it: never into a file or a pipe, never beside JSON. */
  get spins(): boolean {
    return !this.json && this.err.isTTY;
  }

  /** A command's result: the object as one JSON line with --json, else its rendering for people. */
  result(value: unknown, human: () => string): void {
    if (this.json) this.jsonLine(value);
    else this.text(`${human()}\n`);
  }

  jsonLine(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** Answer text as it comes; nothing in --json mode (the events say it there). */
  text(s: string): void {
    if (this.json || s === '') return;
    // The answer is coming: the spinner gives way until the next status.
    this.status(undefined);
    this.out.write(s);
    this.midLine = !s.endsWith('\n');
  }

  /** Ends a half-written answer line. */
  endLine(): void {
    if (this.midLine) this.text('\n');
  }

  /** A line on stderr, said in --json mode too (stderr is not machine output). */
  note(line: string): void {
    this.clearSpinner();
    this.breakSharedLine();
    this.err.write(`${line}\n`);
    if (this.label !== undefined) this.draw();
  }

  /** A failure, on a line of its own: the spinner stopped, a half-written answer line ended. */
  error(e: unknown): void {
    this.status(undefined);
    this.endLine();
    this.note(errorLine(e));
  }

  /** While a prompt waits for a person, the spinner stops; the next status after the prompt starts it again. */
  asking(on: boolean): void {
    if (on) {
      this.status(undefined);
      this.endLine();
    }
    this.prompting = on;
  }

  /** What the spinner says (the agent is thinking, a tool runs); undefined stops it. */
  status(label: string | undefined): void {
    if (!this.spins || this.prompting) return;
    this.label = label;
    if (label === undefined) {
      this.clearSpinner();
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    this.draw();
    // unref: a spinner left running by mistake must not keep the process alive.
    this.timer ??= setInterval(() => this.draw(), 100).unref();
  }

  private draw(): void {
    if (!this.spins || this.label === undefined) return;
    this.breakSharedLine();
    this.frame = (this.frame + 1) % FRAMES.length;
    this.err.write(`\r${FRAMES[this.frame]} ${this.label}\x1b[K`);
  }

  private clearSpinner(): void {
    if (this.spins && this.timer !== undefined) this.err.write('\r\x1b[K');
  }

  /**
   * When stdout and stderr are one terminal, a stderr line (or the
   * spinner's carriage return) in the middle of an answer line would
   * overwrite it: the answer's line is ended first.
   */
  private breakSharedLine(): void {
    if (this.midLine && this.out.isTTY && this.err.isTTY) {
      this.err.write('\n');
      this.midLine = false;
    }
  }
}

/** Rows as columns padded to their widest cell, the header first. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

/** A row object as `key  value` lines: arrays joined, null as `-`. */
export function fields(row: object): string {
  const entries = Object.entries(row);
  const width = Math.max(...entries.map(([k]) => k.length));
  const show = (v: unknown): string =>
    v === null || v === undefined ? '-' : Array.isArray(v) ? v.map(show).join(', ') || '-' : typeof v === 'string' ? v : JSON.stringify(v);
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`).join('\n');
}

/** The one line a failure is told in: `paliadin: <status> <code>: <message>` for the service's errors. */
export function errorLine(e: unknown): string {
  if (e instanceof PaliadinError) return `paliadin: ${e.status}${e.code ? ` ${e.code}` : ''}: ${e.message}`;
  return `paliadin: ${e instanceof Error ? e.message : String(e)}`;
}
