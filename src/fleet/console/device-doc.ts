/* What the page is told about one device: the fleet view's row, its state and since when, its current job, its telemetry. */
import type { DeviceState, JobMessage, TelemetryMessage } from '../../contract/messages';
import { ACTIVE_JOB_STATUSES, describeHardware, type FleetView } from '../cli/fleet-view';

export interface JobDoc extends JobMessage {
  /** Seconds left at the pace seen so far; null when not running or not known yet. */
  etaSeconds: number | null;
}

export interface DeviceDoc {
  id: string;
  groups: string[];
  state: DeviceState | null;
  /** When the device entered its state, as well as the console knows (ISO). */
  stateSince: string | null;
  hardware: string | null;
  backend: string | null;
  model: { version: number; depth: number; accuracy: number | null } | null;
  readOnly: string | null;
  lastSeen: string | null;
  /** The queued or running job, else the latest one. */
  job: JobDoc | null;
  telemetry: { predictRate: number; p50: number | null; p99: number | null; rssBytes: number; ts: string } | null;
}

/** The device's queued or running job (the newest), else its newest job. */
export function currentJob(view: FleetView, device: string): JobMessage | null {
  const jobs = [...(view.jobs.get(device)?.values() ?? [])].sort((a, b) => b.ts.localeCompare(a.ts));
  return jobs.find((j) => ACTIVE_JOB_STATUSES.includes(j.status)) ?? jobs[0] ?? null;
}

export function deviceDoc(
  view: FleetView,
  device: string,
  extra: {
    stateSince: string | null;
    telemetry: TelemetryMessage | undefined;
    eta: (job: JobMessage) => number | null;
  },
): DeviceDoc {
  const birth = view.births.get(device);
  const row = view.row(device);
  const job = currentJob(view, device);
  const t = extra.telemetry;
  return {
    id: device,
    groups: row.groups,
    state: row.state,
    stateSince: extra.stateSince,
    hardware: birth ? describeHardware(birth.hardware) : null,
    backend: birth?.backend ?? null,
    model: birth ? { version: birth.model.version, depth: birth.model.depth, accuracy: birth.model.accuracy } : null,
    readOnly: birth?.readOnly?.reason ?? null,
    lastSeen: row.lastSeen,
    job: job ? { ...job, etaSeconds: extra.eta(job) } : null,
    telemetry: t
      ? {
          predictRate: t.predictRate,
          p50: t.latencyMs.p50,
          p99: t.latencyMs.p99,
          rssBytes: t.memory.rssBytes,
          ts: t.ts,
        }
      : null,
  };
}
