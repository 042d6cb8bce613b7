import { DeependError } from '../util/deepend-error';
import { existsSync, lstatSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const CONTROL_SOCKET = 'control.sock';

export function controlSocketPath(home: string): string {
  return join(home, CONTROL_SOCKET);
}

/** True when something accepts connections on the socket (a running daemon). */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Refuses to start a second daemon on one home, and removes the socket file a
 * killed daemon left behind. Throws one line when another daemon answers, or
 * when something that is not a socket sits at the path.
 */
export async function claimControlSocket(home: string): Promise<string> {
  const path = controlSocketPath(home);
  if (!existsSync(path)) return path;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket: move it away`);
  if (await socketAnswers(path))
    throw new DeependError('conflict', `a daemon is already running at ${home} (${CONTROL_SOCKET} answers)`, {
      hint: 'one daemon per home: stop the other one, or give this one another DEEPEND_HOME',
    });
  rmSync(path, { force: true });
  return path;
}
