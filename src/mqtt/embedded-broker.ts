import { DeependError } from '../util/deepend-error';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  /** mqtt://HOST:PORT */
  url: string;
  port: number;
  /** aedes speaks MQTT 3.1.1 (4): a client that knows it connects with it, not with 5 and a fallback. */
  protocolVersion: 4;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new DeependError(
            'conflict',
            `embedded MQTT broker: ${host}:${port} is already in use; set mqtt.embeddedPort (DEEPEND_MQTT_EMBEDDED_PORT) to a free port or 0, or mqtt.url (DEEPEND_MQTT_URL) to use that broker`,
          ),
        );
      } else {
        reject(new DeependError('config', `embedded MQTT broker: cannot listen on ${host}:${port}: ${err.message}`));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * The broker a single box uses when no fleet broker is configured: aedes
 * (MQTT 3.1.1) with in-memory persistence, so retained states live as long as
 * the daemon. `port: 0` picks a free port.
 */
export async function startEmbeddedBroker(opts: { host?: string; port: number }): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await listen(server, host, opts.port);
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  let closing: Promise<void> | null = null;
  return {
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    protocolVersion: 4,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
