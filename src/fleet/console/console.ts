/*
 * A running console: one FleetSession (the fleet CLI's MQTT connection) on
 * the fleet's retained topics, its FleetState, and the HTTP server.
 */
import { hostname } from 'node:os';
import { fleetWildcard, rolloutWildcard } from '../../contract/topics';
import { responseTopicFor } from '../cli/connection';
import { deviceRowTopics } from '../cli/devices';
import { FleetSession } from '../cli/session';
import type { FleetTarget } from '../cli/target';
import { isLoopbackAddress } from './access';
import { DeviceActions } from './device-actions';
import { FleetState } from './fleet-state';
import { ConsoleServer } from './server';
import { RolloutAction } from './rollout-action';
import { RolloutControls } from '../cli/rollout-control';
import { RolloutStateFile } from '../cli/rollout-state';
import { defaultStateFile } from '../cli/target';

export interface ConsoleOptions {
  target: FleetTarget;
  host: string;
  port: number;
  token: string | null;
  warn: (line: string) => void;
  /** How long an action waits for a device's reply (the CLI's 30 s by default). */
  replyWaitMs?: number;
}

export interface RunningConsole {
  /** http://HOST:PORT/ (without the token). */
  url: string;
  port: number;
  session: FleetSession;
  state: FleetState;
  server: ConsoleServer;
  close(): Promise<void>;
}

/** The topics the console reads: every device's rows, jobs and replies, the rollouts, and its own MQTT 5 response topic. */
export function consoleTopics(session: FleetSession): string[] {
  const fleet = session.fleet;
  return [
    ...deviceRowTopics(fleet),
    fleetWildcard(fleet, 'jobs/+'),
    fleetWildcard(fleet, 'cmd/reply'),
    rolloutWildcard(fleet),
    ...(session.conn.protocolVersion === 5 ? [responseTopicFor(session.conn.clientId)] : []),
  ];
}

/** The host part of the console's URL: bound to every address (0.0.0.0, ::), the machine's name, which others can open. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}

export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const loopback = isLoopbackAddress(opts.host);
  if (!loopback && opts.token === null) throw new Error('a console bound off loopback needs a token');
  const session = await FleetSession.open(opts.target, opts.warn);
  const state = new FleetState(session);
  const actions = new DeviceActions(session, state, opts.replyWaitMs);
  const rolloutState = RolloutStateFile.open(defaultStateFile(opts.target));
  const rollouts = new RolloutAction(session, rolloutState, opts.warn);
  const server = new ConsoleServer({
    state,
    actions,
    rollouts,
    controls: new RolloutControls(session, state, 'console'),
    access: { token: opts.token, loopback },
    refused: opts.warn,
  });
  try {
    await session.subscribe(consoleTopics(session));
    await session.settle();
    state.markLive();
    const { port } = await server.listen(opts.port, opts.host);
    const close = async () => {
      await server.close();
      await rollouts.close();
      rolloutState.close();
      state.close();
      await session.close();
    };
    return { url: `http://${urlHost(opts.host)}:${port}/`, port, session, state, server, close };
  } catch (err) {
    rolloutState.close();
    state.close();
    await session.close();
    throw err;
  }
}
