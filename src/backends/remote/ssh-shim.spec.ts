import { describe, expect, it } from '@jest/globals';
import { ShimError, classify, parseCapture, reasonLine } from './ssh-shim.js';

// stderr of OpenSSH 9.2 with `-o LogLevel=VERBOSE` (as sshArgs runs it), recorded against a real sshd
// (and fake servers that reset or close during the handshake); those marked * could not be provoked on
// loopback and are written in the form OpenSSH prints them.
const AUTHENTICATED = 'Authenticated to 127.0.0.1 ([127.0.0.1]:22987) using "publickey".\r\n';
const TRANSFERRED = 'Transferred: sent 3444, received 3100 bytes, in 0.7 seconds\r\nBytes per second: sent 4803.5, received 4323.7\r\n';

const notSent: [string, string][] = [
  ['refused', 'ssh: connect to host 127.0.0.1 port 22988: Connection refused\r\n'],
  ['unresolvable', 'ssh: Could not resolve hostname nonexistent.invalid: Name or service not known\r\n'],
  ['connect timeout', 'Connection timed out during banner exchange\r\nConnection to 10.255.255.1 port 22 timed out\r\n'],
  ['no route *', 'ssh: connect to host 10.0.0.9 port 22: No route to host\r\n'],
  ['reset in the handshake', 'kex_exchange_identification: read: Connection reset by peer\r\nConnection reset by 127.0.0.1 port 22991\r\n'],
  ['closed in the handshake', 'kex_exchange_identification: Connection closed by remote host\r\nConnection closed by 127.0.0.1 port 22993\r\n'],
  ['closed after the banner', 'Connection closed by 127.0.0.1 port 22994\r\n'],
];

const maybeReceived: [string, string][] = [
  ['the host side of the session killed', `${AUTHENTICATED}Connection to 127.0.0.1 closed by remote host.\r\n${TRANSFERRED}`],
  ['the shim killed by a signal (ssh reports 255, says nothing more)', `${AUTHENTICATED}${TRANSFERRED}`],
  ['a keep-alive timeout', `${AUTHENTICATED}Timeout, server 127.0.0.1 not responding.\r\n`],
  ['closed by the remote host, without the VERBOSE line', 'Connection to 127.0.0.1 closed by remote host.\r\n'],
  ['a broken pipe in the session loop, without the VERBOSE line *', 'client_loop: send disconnect: Broken pipe\r\n'],
  ['a reset in the session, without the VERBOSE line *', 'Read from remote host 127.0.0.1: Connection reset by peer\r\n'],
];

describe('classifying a failed ssh call by whether the verb may have reached the host', () => {
  it.each(notSent)('exit 255, %s: never sent, mriver_unreachable', (_what, stderr) => {
    expect(classify(255, stderr)).toBe('mriver_unreachable');
  });

  it.each(maybeReceived)('exit 255, %s: may have been received, upstream_error', (_what, stderr) => {
    expect(classify(255, stderr)).toBe('upstream_error');
  });

  it('a key or host key not accepted: shim_auth_failed', () => {
    expect(classify(255, 'root@127.0.0.1: Permission denied (publickey,keyboard-interactive).\r\n')).toBe('shim_auth_failed');
    expect(classify(255, 'Host key for [127.0.0.1]:22987 has changed and you have requested strict checking.\r\nHost key verification failed.\r\n')).toBe(
      'shim_auth_failed',
    );
  });

  it('the shim’s own exit codes: 124 timeout; 1, 2 (before it typed anything) and 126/127 (cannot run) shim_error; anything else upstream_error', () => {
    expect(classify(124, `${AUTHENTICATED}paliadin-shim: no answer within 120 s\n`)).toBe('timeout');
    expect(classify(2, `${AUTHENTICATED}paliadin-shim: invalid turn id\n`)).toBe('shim_error');
    expect(classify(1, `${AUTHENTICATED}paliadin-shim: the agent did not show its prompt within 30 s\n`)).toBe('shim_error');
    // Not the ssh key: a shim that failed with "Permission denied" in its own message is the shim's failure.
    expect(classify(1, `${AUTHENTICATED}mkdir: cannot create directory '/x': Permission denied\n`)).toBe('shim_error');
    expect(classify(127, `${AUTHENTICATED}bash: paliadin-shim: command not found\n`)).toBe('shim_error');
    expect(classify(143, AUTHENTICATED)).toBe('upstream_error');
  });

  it('the reason is the last line that is not VERBOSE chatter', () => {
    expect(reasonLine(maybeReceived[0][1], 255)).toBe('Connection to 127.0.0.1 closed by remote host.');
    expect(reasonLine(notSent[0][1], 255)).toBe('ssh: connect to host 127.0.0.1 port 22988: Connection refused');
    expect(reasonLine(`${AUTHENTICATED}${TRANSFERRED}`, 255)).toBe('exit 255');
    expect(reasonLine('', 3)).toBe('exit 3');
  });
});

describe("reading the shim's capture", () => {
  it('takes the size and cursor from the first line and pads the rows to the pane height', () => {
    expect(parseCapture('4 3 1 2\nab  \n❯ x\n')).toEqual({ cols: 4, rows: 3, lines: ['ab', '❯ x', ''], cursor: { x: 1, y: 2 } });
  });

  it('refuses a first line that is not four numbers', () => {
    expect(() => parseCapture('hello\nrow')).toThrow(ShimError);
    expect(() => parseCapture('1 2 3\n')).toThrow(/unexpected first line/);
  });
});
