import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findFreePort,
  isLoopbackHost,
  isPortFree,
  isPortOpen,
  parseHostPort,
} from '../../../src/services/port.ts';

const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((r) => server.close(r))));
});

function listen(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

describe('isLoopbackHost', () => {
  it('accepts this machine under its usual names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('rejects other hosts, including look-alikes', () => {
    for (const host of ['10.0.0.1', '0.0.0.0', 'kafka', '127.0.0.1.example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('parseHostPort', () => {
  it('splits host and port, defaulting the port', () => {
    expect(parseHostPort('127.0.0.1:19092', 9092)).toEqual({ host: '127.0.0.1', port: 19092 });
    expect(parseHostPort(' kafka-1 ', 9092)).toEqual({ host: 'kafka-1', port: 9092 });
    expect(parseHostPort('[::1]:9093', 9092)).toEqual({ host: '::1', port: 9093 });
    expect(parseHostPort('[::1]', 9092)).toEqual({ host: '::1', port: 9092 });
  });
});

describe('ports', () => {
  it('tells an open port from a free one', async () => {
    const port = await listen();
    expect(await isPortOpen('127.0.0.1', port)).toBe(true);
    expect(await isPortFree(port)).toBe(false);

    const free = await findFreePort();
    expect(free).toBeGreaterThan(0);
    expect(free).not.toBe(port);
    expect(await isPortFree(free)).toBe(true);
    expect(await isPortOpen('127.0.0.1', free, 500)).toBe(false);
  });
});
