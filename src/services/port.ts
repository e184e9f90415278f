/**
 * Addresses and ports for the local services: which hosts count as this machine, whether
 * something listens on a port, and how to find a free one.
 */
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1']);

/** True for 127.0.0.0/8, ::1 and "localhost": the only hosts we ever start a server for. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase();
  if (LOOPBACK_NAMES.has(name)) return true;
  return /^127(\.\d{1,3}){3}$/.test(name);
}

export interface HostPort {
  host: string;
  port: number;
}

/** Splits "host:port" (or "[v6]:port"); a missing port takes `defaultPort`. */
export function parseHostPort(address: string, defaultPort: number): HostPort {
  const trimmed = address.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    return { host: bracketed[1] ?? '', port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  }

  const colon = trimmed.lastIndexOf(':');
  if (colon === -1 || trimmed.indexOf(':') !== colon) return { host: trimmed, port: defaultPort };
  return { host: trimmed.slice(0, colon), port: Number(trimmed.slice(colon + 1)) || defaultPort };
}

/** Whether a TCP connection to host:port is accepted within `timeoutMs`. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const finish = (open: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * A port nothing listens on right now, chosen by the kernel. Another process may take it before
 * the caller binds it; callers that spawn a server detect that by the server failing to start.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether this process could bind host:port at this moment. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
