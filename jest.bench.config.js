import base from './jest.config.js';

/** `npm run bench`: speed goals, measured on this machine; kept out of `npm test`. */
export default { ...base, roots: ['<rootDir>/test/bench'], testRegex: '\\.bench\\.ts$', testTimeout: 300_000, maxWorkers: 1 };
