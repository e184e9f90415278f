import net from 'node:net';
import { AlmanacError } from '../errors.ts';

/** Fails early, with the variable to change, when a port the command will serve on is taken. */
export async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new AlmanacError('API_PORT_TAKEN', `port ${port} on ${host} is already in use`, {
          hint: `Stop what listens there or set ${variable} to another port`,
          cause: error,
        }),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
