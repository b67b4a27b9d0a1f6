import { describe, expect, it } from '@jest/globals';
import { missingTools, requireTools } from './prerequisites.js';

describe('test prerequisites', () => {
  it('finds tools by absolute path or on PATH', () => {
    expect(missingTools([process.execPath, 'sh'], '/usr/bin:/bin')).toEqual([]);
    expect(missingTools(['/nonexistent/sshd', 'no-such-tool-here', 'sh'], '/usr/bin:/bin')).toEqual(['/nonexistent/sshd', 'no-such-tool-here']);
  });

  it('a missing tool is one line naming it and what to install', () => {
    expect(() => requireTools('The remote backend tests', ['/nonexistent/sshd'], 'openssh-server tmux')).toThrow(
      'The remote backend tests need /nonexistent/sshd, which this machine lacks: apt-get install openssh-server tmux (Debian), or run .ci/run, which installs them',
    );
  });
});
