import { AlmanacError } from '../errors.ts';
import { isPortFree } from '../services/port.ts';

/** Fails early, with the variable to change, when a port the command will serve on is taken. */
export async function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0 || (await isPortFree(port, host))) return;
  throw new AlmanacError('API_PORT_TAKEN', `port ${port} on ${host} is already in use`, {
    hint: `Stop what listens there or set ${variable} to another port`,
  });
}
