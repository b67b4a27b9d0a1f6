import net from 'node:net';
import type { Server } from 'node:http';

/** What net.Server.listen takes (Node 22.12+ knows `reusePort`; the types here do not yet). */
export type SharedListenOptions = net.ListenOptions & { reusePort?: boolean };

export interface ListenAddress {
  port: number;
  host: string;
  backlog: number;
}

/**
 * Whether this Node can put several listening sockets on one port: the
 * `reusePort` option came with Node 22.12 (and 23.1); an older Node ignores
 * it, and the second socket fails as if another process held the port.
 */
export function sharesPorts(version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/**
 * The port to listen on, claimed the ordinary way first: the listening
 * sockets share their port (SO_REUSEPORT), which would let a second process
 * of the same user join it silently instead of failing with EADDRINUSE.
 * Port 0 becomes a free port.
 */
export function claimPort(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const claimed = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(claimed));
    });
  });
}

/**
 * More listening sockets on `server`'s port, handing their connections to
 * it. Node's event loop accepts one connection per listening socket per
 * turn, and under load a turn takes tens to hundreds of milliseconds: with
 * one socket, a crowd's connections wait seconds in its queue (their
 * streams open late, their answers arrive late). The kernel spreads new connections across the
 * sockets of the group, so each one more accepts one more per turn. `server`
 * must listen with `reusePort` on `address`. They close with it.
 */
export async function addAcceptSockets(server: Server, address: ListenAddress, count: number): Promise<void> {
  const extra: net.Server[] = [];
  const closeAll = () => extra.splice(0).forEach((s) => s.close());
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer((socket) => server.emit('connection', socket));
      extra.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ ...address, reusePort: true } as SharedListenOptions, resolve);
      });
    }
  } catch (e) {
    closeAll();
    throw e;
  }
  // Closing the server stops all of them taking connections at once, not when its last connection ends.
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    closeAll();
    return close(cb);
  };
}
