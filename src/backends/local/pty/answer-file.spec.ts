import { rmSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { readIfStable, waitForAnswerFile } from './answer-file.js';
import { testTempDir } from '../../../../test/support/temp-dirs.js';

describe('waiting for the answer file', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = testTempDir('paliadin-answer-');
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('resolves with the text once the file appears', async () => {
    const file = path.join(dir(), 'a.md');
    const waiting = waitForAnswerFile(file, { timeoutMs: 10_000, signal: new AbortController().signal });
    await writeFile(file, 'the answer');
    expect(await waiting).toEqual({ kind: 'answer', text: 'the answer' });
  });

  it('finds a file that exists before the wait starts', async () => {
    const file = path.join(dir(), 'a.md');
    await writeFile(file, 'already here');
    expect(await waitForAnswerFile(file, { timeoutMs: 10_000, signal: new AbortController().signal })).toEqual({ kind: 'answer', text: 'already here' });
  });

  it('an empty file is one being written: it waits for the text', async () => {
    const file = path.join(dir(), 'a.md');
    await writeFile(file, '');
    const waiting = waitForAnswerFile(file, { timeoutMs: 10_000, signal: new AbortController().signal });
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    await appendFile(file, 'now the answer');
    expect(await waiting).toEqual({ kind: 'answer', text: 'now the answer' });
  });

  it('works when the directory appears later (no watcher, the poll finds it)', async () => {
    const sub = path.join(dir(), 'later');
    const file = path.join(sub, 'a.md');
    const waiting = waitForAnswerFile(file, { timeoutMs: 10_000, signal: new AbortController().signal });
    await mkdir(sub);
    await writeFile(file, 'polled');
    expect(await waiting).toEqual({ kind: 'answer', text: 'polled' });
  });

  it('gives up after the timeout, or when aborted', async () => {
    const file = path.join(dir(), 'never.md');
    expect(await waitForAnswerFile(file, { timeoutMs: 50, signal: new AbortController().signal })).toEqual({ kind: 'timeout' });
    const abort = new AbortController();
    const waiting = waitForAnswerFile(file, { timeoutMs: 10_000, signal: abort.signal });
    abort.abort();
    expect(await waiting).toEqual({ kind: 'aborted' });
  });

  it('readIfStable: undefined for a missing or empty file', async () => {
    const d = dir();
    expect(await readIfStable(path.join(d, 'none.md'))).toBeUndefined();
    await writeFile(path.join(d, 'empty.md'), '');
    expect(await readIfStable(path.join(d, 'empty.md'))).toBeUndefined();
  });
});
