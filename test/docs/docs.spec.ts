import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const markdown = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f)),
];

describe('the documentation', () => {
  it('every relative link in README.md and docs/ leads to a file, and every #anchor to a heading there', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue; // http:, paliad:, mailto:
        const [ref, anchor] = target.split('#');
        const resolved = ref ? path.join(path.dirname(file), ref) : file;
        if (!existsSync(resolved)) broken.push(`${file}: ${target}`);
        else if (anchor && resolved.endsWith('.md')) {
          const slugs = [...readFileSync(resolved, 'utf8').matchAll(/^#+ (.+)$/gm)].map(([, h]) =>
            h
              .toLowerCase()
              .replace(/[^a-z0-9 -]/g, '')
              .replace(/ /g, '-'),
          );
          if (!slugs.includes(anchor)) broken.push(`${file}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('nothing points to a design file outside the repository: the protocol lives in docs/', () => {
    // Migrations are never edited after landing, comments included.
    const args = ['grep', '-n', '-I', '-e', 'DESIGN section', '-e', 'DESIGN.md', '--', '.', ':!test/docs/docs.spec.ts', ':!migrations/'];
    let hits = '';
    try {
      hits = execFileSync('git', args, { encoding: 'utf8' });
    } catch (e) {
      // git grep exits 1 when nothing matches.
      if ((e as { status?: number }).status !== 1) throw e;
    }
    expect(hits.trim()).toBe('');
  });
});
