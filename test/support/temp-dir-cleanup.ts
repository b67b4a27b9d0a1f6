import { afterAll } from '@jest/globals';
import { removeTestTempDirs } from './temp-dirs.js';

// Every test file's temp dirs go when it is done (global-teardown checks that none are left).
afterAll(removeTestTempDirs);
