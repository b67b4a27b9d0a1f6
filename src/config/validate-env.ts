import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { Env } from './env.js';

/** Thrown when configuration is invalid; its message is the one line printed at boot. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    // A missing value is the whole story; its other rules would only add noise.
    const c = e.constraints ?? {};
    const reasons = c.isDefined ? [c.isDefined] : Object.values(c);
    const shown = typeof e.value === 'string' && !/SECRET|TOKEN|PASSWORD/.test(e.property) ? ` (got "${e.value}")` : '';
    return `${e.property} ${reasons[0] ?? 'is invalid'}${shown}`;
  });
}

/**
 * Turns raw environment strings into a typed, validated Env. Unknown variables
 * are ignored (the process environment holds many); known ones must be valid.
 */
export function validateEnv(raw: Record<string, unknown>): Env {
  const known = Object.fromEntries(Object.entries(raw).filter(([k]) => k in new Env()));
  const env = plainToInstance(Env, known, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    throw new ConfigError(`Invalid configuration: ${describe(errors).join('; ')}`);
  }
  return env;
}
