/**
 * Nest 12 packages are ESM-only and Node 20's Jest cannot require() them, so
 * the suite runs in Jest's native ESM mode (see package.json "test").
 */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testRegex: '\\.(spec|e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/support/preload-nest.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/temp-dir-cleanup.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // Two cores: more workers only fight over them and over Postgres.
  maxWorkers: 2,
  // By the end of a full run each worker holds 1.5-2 GB, and after its event
  // loop has emptied (within milliseconds of Jest's "end") the process takes
  // 0.9-1.5 s on this machine to be gone (V8 and the kernel give the memory
  // back). At Jest's default of 500 ms that is reported as "failed to exit
  // gracefully" though nothing leaked; a worker that is really held open is
  // still killed and reported, after 5 s.
  workerGracefulExitTimeout: 5_000,
};
