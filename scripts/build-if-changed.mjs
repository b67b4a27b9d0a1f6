// `npm start` (and the CLIs) compile only when something changed: an unchanged
// checkout starts without the two seconds tsc spends just to find nothing to do.
// "Changed" is any file or directory under the compiled folders, or a tsconfig
// or package.json, newer than the last build's stamp (dist/.tsbuildinfo, written
// by every build). A directory's time moves when a file in it is added, deleted
// or renamed, so those count too. `npm run build` always compiles.
//
// Every time compared is the file system's: a file's time comes from the
// kernel's coarse clock, a few milliseconds behind the clock `new Date()` reads,
// so a stamp set from `new Date()` could be newer than an edit made just after
// the build, and that edit would be skipped.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const stamp = path.join(root, 'dist', '.tsbuildinfo');
const inputs = ['src', 'migrations', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function newest(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  let t = st.mtimeMs;
  if (st.isDirectory()) for (const name of readdirSync(p)) t = Math.max(t, newest(path.join(p, name)));
  return t;
}

/** The file system's time now: the time of a file written now. */
function fileSystemNow() {
  const mark = path.join(root, 'dist', '.build-started');
  mkdirSync(path.dirname(mark), { recursive: true });
  writeFileSync(mark, '');
  const t = statSync(mark).mtimeMs;
  rmSync(mark);
  return t;
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changed = Math.max(...inputs.map((p) => newest(path.join(root, p))));
const outputGone = !existsSync(path.join(root, 'dist', 'src', 'main.js'));
if (changed >= built || outputGone) {
  // tsc's incremental build does not write again what it thinks it wrote: without its output, start over.
  if (outputGone) rmSync(stamp, { force: true });
  // Taken before compiling, so an edit made during the build counts as a change next time.
  const started = fileSystemNow();
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    // tsc wrote its stamp even so: age it, or the next start would take the failed build for a good one.
    if (existsSync(stamp)) utimesSync(stamp, 0, 0);
    process.exit(1);
  }
  // tsc leaves its stamp alone when a touched file compiled to the same output: move it, or every start would compile again.
  utimesSync(stamp, started / 1000, started / 1000);
}

// The client package (client/): the pages load its browser build, so `npm start` needs it built too.
const client = path.join(root, 'client');
const clientOut = path.join(client, 'dist', 'browser', 'paliadin-client.js');
if (existsSync(path.join(client, 'package.json'))) {
  const clientBuilt = statSync(clientOut, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const clientChanged = Math.max(...['src', 'scripts', 'package.json', 'tsconfig.json'].map((p) => newest(path.join(client, p))));
  if (clientChanged >= clientBuilt) {
    const started = fileSystemNow();
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(client, 'tsconfig.json')], {
        stdio: 'inherit',
      });
      execFileSync(process.execPath, [path.join(client, 'scripts', 'build-browser.mjs')], { stdio: 'inherit' });
    } catch {
      rmSync(clientOut, { force: true });
      process.exit(1);
    }
    // Its time is the build's start, as the server's stamp: an edit made during the build counts next time.
    utimesSync(clientOut, started / 1000, started / 1000);
  }
}
