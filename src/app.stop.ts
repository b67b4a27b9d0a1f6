import { Logger, type INestApplicationContext } from '@nestjs/common';
import { constants } from 'node:os';

/** The signals that ask the app to stop: Ctrl-C, a service manager's stop, a closed terminal, Ctrl-\. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

// A signal within this long of the first is the same stop told twice, not a second Ctrl-C: Ctrl-C in a
// terminal reaches npm and the app (one process group), and `npm start` forwards its copy to the app.
const ECHO_MS = 1_000;

/**
 * On a stop signal, the app's whole graceful stop (app.close: open streams
 * end, running turns are stored as interrupted, agents and the embedded
 * Postgres stop), then the signal again, so the process ends as the signal
 * ends it: what Nest's enableShutdownHooks() does. Two ways out of a stop
 * that does not end, which Nest's hooks lack (they ignore a second signal):
 * a second signal, a second or more after the first, exits at once with
 * 128 + its number (as a shell reports a death by it); `deadlineMs`
 * (PALIADIN_SHUTDOWN_TIMEOUT_MS) exits with 1. Either way the exit handlers
 * run: an embedded Postgres is stopped by pid, and local agents die with
 * their gateway (their watchdog).
 */
export function stopOnSignals(app: INestApplicationContext, deadlineMs: number): void {
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince < ECHO_MS) return;
      exitNow(`a second ${signal}: exiting without waiting for the graceful stop to end`, 128 + constants.signals[signal]);
    }
    stoppingSince = performance.now();
    new Logger('Shutdown').log(
      `${signal}: stopping (open streams end, running turns are stored as interrupted); ${signal} again, a second from now, exits at once`,
    );
    setTimeout(
      () => exitNow(`the graceful stop took longer than PALIADIN_SHUTDOWN_TIMEOUT_MS (${deadlineMs} ms): exiting without waiting for it`, 1),
      deadlineMs,
    );
    app.close().then(
      () => {
        for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
        process.kill(process.pid, signal);
      },
      (e: unknown) => exitNow(`the graceful stop failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, 1),
    );
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
}

/** Written to stderr directly: the logger may be half shut down, and a pipe write is synchronous. */
function exitNow(why: string, code: number): never {
  process.stderr.write(`paliadin: ${why}\n`);
  process.exit(code);
}
