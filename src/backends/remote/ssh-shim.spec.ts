import { describe, expect, it } from '@jest/globals';
import { classify } from './ssh-shim.js';

// What OpenSSH prints on stderr in each case (exit 255 is ssh's own failure).
describe('classify: whether run-turn may have reached the agent', () => {
  it.each([
    [255, 'ssh: connect to host 10.1.2.3 port 22022: Connection refused', 'mriver_unreachable'],
    [255, 'ssh: connect to host agent port 22022: Connection timed out', 'mriver_unreachable'],
    [255, 'ssh: Could not resolve hostname agent: Name or service not known', 'mriver_unreachable'],
    [255, 'ssh: connect to host 10.1.2.3 port 22022: No route to host', 'mriver_unreachable'],
    [255, 'paliadin@127.0.0.1: Permission denied (publickey).', 'shim_auth_failed'],
    [255, 'Host key verification failed.', 'shim_auth_failed'],
  ])('never sent: exit %s, "%s" is %s', (code, stderr, expected) => expect(classify(code, stderr)).toBe(expected));

  it.each([
    [255, 'Connection to 127.0.0.1 closed by remote host.'],
    [255, 'client_loop: send disconnect: Broken pipe'],
    [255, 'Read from remote host 127.0.0.1: Connection reset by peer'],
    [255, 'Timeout, server 127.0.0.1 not responding.'],
    [null, ''],
  ])('may have been received: exit %s, "%s" is upstream_error (its answer is fetched later)', (code, stderr) =>
    expect(classify(code, stderr)).toBe('upstream_error'));

  it('the shim timing out is timeout; the shim failing otherwise is shim_error', () => {
    expect(classify(124, '')).toBe('timeout');
    expect(classify(2, 'paliadin-shim: bad session name')).toBe('shim_error');
  });
});
