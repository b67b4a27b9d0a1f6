import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { testTempDir } from '../support/temp-dirs.js';

/**
 * `npm start`'s build step (scripts/build-if-changed.mjs), run on a small
 * project of its own in a temp dir with this checkout's TypeScript: an
 * unchanged tree is not compiled again, a changed one is.
 */
describe('build-if-changed', () => {
  let root: string;
  const out = () => path.join(root, 'dist', 'src', 'main.js');
  const build = () => execFileSync(process.execPath, [path.join(root, 'scripts', 'build-if-changed.mjs')], { cwd: root, stdio: 'pipe' });
  const builtAt = () => statSync(path.join(root, 'dist', '.tsbuildinfo')).mtimeMs;

  beforeEach(() => {
    root = testTempDir('paliadin-build-');
    mkdirSync(path.join(root, 'scripts'));
    mkdirSync(path.join(root, 'src'));
    mkdirSync(path.join(root, 'node_modules'));
    copyFileSync('scripts/build-if-changed.mjs', path.join(root, 'scripts', 'build-if-changed.mjs'));
    symlinkSync(path.resolve('node_modules/typescript'), path.join(root, 'node_modules', 'typescript'));
    writeFileSync(path.join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', outDir: 'dist', rootDir: '.', types: [] } }));
    writeFileSync(
      path.join(root, 'tsconfig.build.json'),
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { incremental: true, tsBuildInfoFile: 'dist/.tsbuildinfo' }, include: ['src'] }),
    );
    writeFileSync(path.join(root, 'src', 'main.ts'), 'export const answer: number = 1;\n');
    writeFileSync(path.join(root, 'src', 'extra.ts'), 'export const extra = 1;\n');
  });

  it('compiles a fresh checkout, skips an unchanged one, compiles again after an edit', () => {
    build();
    expect(readFileSync(out(), 'utf8')).toContain('answer = 1');
    const first = builtAt();

    build();
    expect(builtAt()).toBe(first);

    writeFileSync(path.join(root, 'src', 'main.ts'), 'export const answer: number = 2;\n');
    build();
    expect(readFileSync(out(), 'utf8')).toContain('answer = 2');
    expect(builtAt()).toBeGreaterThan(first);
  });

  it("the stamp is the build's start on the file system's clock, so an edit made during the build or just after it is newer", () => {
    // A file's time comes from the kernel's coarse clock, some milliseconds behind Date.now(): a stamp set from
    // Date.now() after the build was newer than the build's own output, and an edit made within those
    // milliseconds was skipped by the next run (seen on CI in the test below).
    build();
    expect(builtAt()).toBeLessThanOrEqual(statSync(out()).mtimeMs);
  });

  it('a deleted source or a changed tsconfig counts as a change', () => {
    build();
    const first = builtAt();
    rmSync(path.join(root, 'src', 'extra.ts'));
    build();
    const second = builtAt();
    expect(second).toBeGreaterThan(first);

    writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', outDir: 'dist', rootDir: '.', types: [], removeComments: true } }),
    );
    build();
    expect(builtAt()).toBeGreaterThan(second);
  });

  it('a missing output is compiled even when the stamp is new', () => {
    build();
    rmSync(out());
    build();
    expect(existsSync(out())).toBe(true);
  });

  it('a compile error fails the step, and every run after it until the error is fixed', () => {
    build();
    const first = builtAt();
    writeFileSync(path.join(root, 'src', 'main.ts'), 'export const answer: number = "two";\n');
    expect(build).toThrow();
    expect(build).toThrow();
    writeFileSync(path.join(root, 'src', 'main.ts'), 'export const answer: number = 3;\n');
    build();
    expect(readFileSync(out(), 'utf8')).toContain('answer = 3');
    expect(builtAt()).toBeGreaterThan(first);
  });
});
