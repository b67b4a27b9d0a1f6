import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The tools of `tools` (absolute paths, or names looked up on PATH) that cannot be run here. */
export function missingTools(tools: string[], envPath = process.env.PATH ?? ''): string[] {
  const runnable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  const dirs = envPath.split(':').filter(Boolean);
  return tools.filter((t) => (t.includes('/') ? !runnable(t) : !dirs.some((d) => runnable(path.join(d, t)))));
}

/**
 * Fails at once, with one line saying what to install, when a suite's
 * system tools are missing: not after each test has waited out a timeout
 * for a server that could never start.
 */
export function requireTools(suite: string, tools: string[], debianPackages: string): void {
  const missing = missingTools(tools);
  if (missing.length > 0) {
    throw new Error(
      `${suite} need ${missing.join(', ')}, which this machine lacks: apt-get install ${debianPackages} (Debian), or run .ci/run, which installs them`,
    );
  }
}
