import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { Env } from './env.js';

/** Thrown when configuration is invalid; its message is the one line printed at boot. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A whole-number setting's rule in one phrase, from its @Min/@Max: "an integer between 1 and 65535". */
function integerRule(property: string): string {
  const rules = getMetadataStorage()
    .getTargetValidationMetadatas(Env, '', true, false)
    .filter((m) => m.propertyName === property);
  const bound = (name: string) => rules.find((m) => m.name === name)?.constraints[0] as number | undefined;
  const [min, max] = [bound('min'), bound('max')];
  if (min !== undefined && max !== undefined) return `must be an integer between ${min} and ${max}`;
  if (min !== undefined) return `must be an integer of at least ${min}`;
  return 'must be an integer';
}

/**
 * One phrase per variable: "<NAME> <rule> (got "<value>")". class-validator's
 * own messages start with the property name, which we already print; the
 * number rules (isInt, min, max) are said once, as the range they make up.
 */
function describe(errors: { property: string; constraints?: Record<string, string>; value: unknown }[]): string[] {
  return errors.map((e) => {
    const c: Partial<Record<string, string>> = e.constraints ?? {};
    // A missing value is the whole story; its other rules would only add noise.
    const reason = c.isDefined ?? (c.isInt || c.min || c.max ? integerRule(e.property) : Object.values(c)[0]);
    const rule = (reason ?? 'is invalid').replace(new RegExp(`^${e.property} `), '');
    const raw = typeof e.value === 'number' && Number.isNaN(e.value) ? undefined : e.value;
    const shown = (typeof raw === 'string' || typeof raw === 'number') && !/SECRET|TOKEN|PASSWORD|KEY$/.test(e.property) ? ` (got "${raw}")` : '';
    return `${e.property} ${rule}${shown}`;
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
    const given = (e: ValidationError) => ({ property: e.property, constraints: e.constraints, value: known[e.property] ?? (e.value as unknown) });
    throw new ConfigError(`Invalid configuration: ${describe(errors.map(given)).join('; ')}`);
  }
  return env;
}
