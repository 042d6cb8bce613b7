/*
 * Since when, by this process's clock, each device has been down (its
 * retained state `offline` or `lost`). A rollout batch does not wait for a
 * device that was already down when the batch was sent: it cannot answer
 * before it comes back, and its retained desired document makes it converge
 * when it does. A device that goes down after the send (a reboot in the
 * middle of its job) is still waited for: its job resumes at its next start.
 */
import type { DeviceState } from '../../contract/messages';
import type { FleetSession } from './session';

const DOWN: readonly DeviceState[] = ['offline', 'lost'];

export class OfflineSince {
  private readonly since = new Map<string, number>();

  /** Starts from the session's view: a device already down counts as down since now. */
  constructor(private readonly session: FleetSession) {
    for (const device of session.view.states.keys()) this.refresh(device);
  }

  /** Follows the session's state messages; returns the detach. */
  follow(): () => void {
    return this.session.onEvent((e) => {
      if (e.kind === 'state') this.refresh(e.device);
    });
  }

  /** True when the device is down and has been since `at` (ms) or earlier. */
  downSince(device: string, at: number): boolean {
    const since = this.since.get(device);
    return since !== undefined && since <= at;
  }

  private refresh(device: string): void {
    const state = this.session.view.states.get(device)?.state;
    if (state === undefined || !DOWN.includes(state)) this.since.delete(device);
    else if (!this.since.has(device)) this.since.set(device, Date.now());
  }
}
