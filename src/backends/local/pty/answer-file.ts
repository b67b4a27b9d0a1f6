import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

// A file is complete once two looks this far apart see the same size and mtime.
const STABLE_MS = 40;
// The poll catches what fs.watch misses (network filesystems, a watcher that failed to start).
const POLL_MS = 100;

export type AnswerWait = { kind: 'answer'; text: string } | { kind: 'timeout' } | { kind: 'aborted' };

/**
 * Waits for the agent's answer file: fs.watch on its directory for speed, a
 * poll as the fallback. Resolves with the text once the file exists and has
 * stopped changing, or with why it gave up.
 */
export function waitForAnswerFile(file: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<AnswerWait> {
  return new Promise((resolve) => {
    let done = false;
    let checking = false;
    let recheck = false;
    let watcher: FSWatcher | undefined;
    const finish = (result: AnswerWait) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      watcher?.close();
      opts.signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const check = async () => {
      if (done) return;
      if (checking) {
        recheck = true;
        return;
      }
      checking = true;
      try {
        const text = await readIfStable(file);
        if (text !== undefined) finish({ kind: 'answer', text });
      } finally {
        checking = false;
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a call made while this one awaited
        if (recheck && !done) {
          recheck = false;
          void check();
        }
      }
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const poll = setInterval(() => void check(), POLL_MS);
    const timer = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs);
    if (opts.signal.aborted) {
      onAbort();
      return;
    }
    opts.signal.addEventListener('abort', onAbort);
    try {
      const name = path.basename(file);
      watcher = watch(path.dirname(file), (_event, changed) => {
        if (!changed || changed === name) void check();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watcher (the directory is gone, or inotify is exhausted): the poll still runs.
    }
    void check();
  });
}

/** The file's text if it exists, is not empty and has stopped changing; undefined otherwise. */
export async function readIfStable(file: string): Promise<string | undefined> {
  const first = await stat(file).catch(() => undefined);
  // An empty file is one being written (open truncates first); an answer has text.
  if (!first?.isFile() || first.size === 0) return undefined;
  await new Promise((r) => setTimeout(r, STABLE_MS));
  const second = await stat(file).catch(() => undefined);
  if (second?.size !== first.size || second.mtimeMs !== first.mtimeMs) return undefined;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  // A writer that truncated and is refilling the file shows as a size change on the next look.
  return text !== undefined && Buffer.byteLength(text) === second.size ? text : undefined;
}
