import type { DeviceState } from '../../contract/messages';
import type { JobRow } from '../../store/types';

/** Where the daemon is in its life: the daemon's parts.phase. */
export type DaemonPhase = 'starting' | 'running' | 'stopping';

/**
 * The state a device announces: `init` while it starts, `upgrading` while a
 * job runs, `degraded` when its last job failed (an error, not a gate
 * rejection: it needs a look), `ready` otherwise; `offline` is sent by a clean
 * stop and `lost` only ever by the broker, as the Last Will.
 */
export function deviceState(
  phase: DaemonPhase,
  active: JobRow | undefined,
  lastEnded: JobRow | undefined,
): DeviceState {
  if (phase === 'starting') return 'init';
  if (phase === 'stopping') return 'offline';
  if (active) return 'upgrading';
  if (lastEnded?.state === 'failed') return 'degraded';
  return 'ready';
}
