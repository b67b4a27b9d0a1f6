import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPipelineApp, type PipelineApp } from '../support/pipeline-app.js';
import { tokenFor } from '../support/tokens.js';

const run = promisify(execFile);

/** The README's client example, taken from the README itself and run as written by node, against the service. */
describe("the README's client example", () => {
  let p: PipelineApp;
  beforeAll(async () => {
    p = await startPipelineApp();
    p.backend.script = (req) => [
      { delay: 5, event: { type: 'tool', name: 'Grep', inputSummary: 'deadlines', status: 'started' } },
      { delay: 5, event: { type: 'chunk', text: 'Zwei Fristen: ' } },
      { delay: 5, event: { type: 'chunk', text: `${req.message.length} Zeichen gefragt.` } },
      { delay: 5, event: { type: 'done', response: `Zwei Fristen: ${req.message.length} Zeichen gefragt.` } },
    ];
  });
  afterAll(() => p?.app.close());

  it('streams the answer, shows the tool call, then prints the whole answer', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## The client SDK and the CLI'));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain("import { createClient } from '@paliadin/client';");
    expect(code!.trim().split('\n').length).toBeLessThanOrEqual(10);
    // `node --input-type=module -e` resolves '@paliadin/client' from the repository, as a project that installed it would.
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', code!], {
      env: { PATH: process.env.PATH, PALIADIN_URL: p.url, PALIADIN_TOKEN: await tokenFor('readme@example.com') },
    });
    const answer = `Zwei Fristen: ${'Which deadlines run out this week?'.length} Zeichen gefragt.`;
    expect(stdout).toBe(`${answer}\n${answer}\n`);
    expect(stderr).toBe('[Grep: started]\n');
  });
});
