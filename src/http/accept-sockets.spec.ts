import { describe, expect, it } from '@jest/globals';
import { sharesPorts } from './accept-sockets.js';

describe('sharesPorts', () => {
  it('is true from Node 22.12 and 23.1 on, where listen() takes reusePort, and false before (main.ts then listens with one socket)', () => {
    expect(['20.19.0', '20.20.2', '22.11.0', '22.0.0', '21.7.3', '23.0.0'].map((v) => sharesPorts(v))).toEqual([false, false, false, false, false, false]);
    expect(['22.12.0', '22.20.1', '23.1.0', '24.9.0', '26.0.0'].map((v) => sharesPorts(v))).toEqual([true, true, true, true, true]);
  });
});
