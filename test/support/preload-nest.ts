/**
 * @nestjs/throttler and nestjs-pino are CommonJS and require() the ESM-only
 * Nest core. Jest (on Node >= 24.9) supports that, but not while the core is
 * still being linked as part of the same import graph. Evaluating the core
 * first, here, makes those require() calls find it ready.
 */
await import('@nestjs/common');
await import('@nestjs/core');
export {};
