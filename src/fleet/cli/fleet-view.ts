/*
 * What the fleet CLI knows of each device: the retained births, states,
 * jobs and reported documents (and telemetry, for "last seen") folded into
 * one row per device.
 */
import type { BirthMessage, DeviceState, JobMessage, ReportedMessage, StateMessage } from '../../contract/messages';
import type { FleetEvent } from './inbox';

export interface DeviceRow {
  device: string;
  /** CPU model, and the GPU or Jetson model when there is one. */
  hardware: string | null;
  backend: string | null;
  modelVersion: number | null;
  depth: number | null;
  accuracy: number | null;
  state: DeviceState | null;
  /** The newest `ts` of any message seen from the device. */
  lastSeen: string | null;
  groups: string[];
}

export const ACTIVE_JOB_STATUSES: readonly string[] = ['queued', 'running'];

export function describeHardware(h: BirthMessage['hardware']): string {
  const accelerator = h.jetson?.model ?? h.gpus[0]?.model;
  return accelerator ? `${h.cpu.model} + ${accelerator}` : h.cpu.model;
}

type DeviceEvent = Exclude<FleetEvent, { kind: 'group-desired' }>;

export class FleetView {
  readonly births = new Map<string, BirthMessage>();
  readonly states = new Map<string, StateMessage>();
  readonly reported = new Map<string, ReportedMessage>();
  /** device -> jobId -> latest job message */
  readonly jobs = new Map<string, Map<string, JobMessage>>();
  private readonly seen = new Map<string, number>();

  constructor(readonly fleet: string) {}

  /** Folds one event in; true when it changed what the view holds (a redelivered retained message does not). */
  apply(e: FleetEvent): boolean {
    if (e.fleet !== this.fleet || e.kind === 'group-desired') return false;
    const seenBefore = this.seen.get(e.device);
    const ts = Date.parse(e.value.ts);
    if (Number.isFinite(ts) && (seenBefore === undefined || ts > seenBefore)) this.seen.set(e.device, ts);
    else if (!this.seen.has(e.device)) this.seen.set(e.device, Number.NaN);
    return this.fold(e) || seenBefore === undefined;
  }

  private fold(e: DeviceEvent): boolean {
    switch (e.kind) {
      case 'birth':
        return replace(this.births, e.device, e.value);
      case 'state': {
        // A will from an older session (a connection that died late) does not overrule the newer session's state.
        const held = this.states.get(e.device);
        if (held && e.value.session < held.session) return false;
        return replace(this.states, e.device, e.value);
      }
      case 'reported':
        return replace(this.reported, e.device, e.value);
      case 'job': {
        let jobs = this.jobs.get(e.device);
        if (!jobs) {
          jobs = new Map();
          this.jobs.set(e.device, jobs);
        }
        return replace(jobs, e.jobId, e.value);
      }
      default:
        return false;
    }
  }

  knows(device: string): boolean {
    return this.births.has(device);
  }

  deviceIds(): string[] {
    return [...new Set([...this.births.keys(), ...this.states.keys(), ...this.reported.keys()])].sort();
  }

  row(device: string): DeviceRow {
    const b = this.births.get(device);
    const seen = this.seen.get(device);
    return {
      device,
      hardware: b ? describeHardware(b.hardware) : null,
      backend: b?.backend ?? null,
      modelVersion: b?.model.version ?? null,
      depth: b?.model.depth ?? null,
      accuracy: b?.model.accuracy ?? null,
      state: this.states.get(device)?.state ?? null,
      lastSeen: seen !== undefined && Number.isFinite(seen) ? new Date(seen).toISOString() : null,
      groups: b?.groups ?? [],
    };
  }

  rows(): DeviceRow[] {
    return this.deviceIds().map((d) => this.row(d));
  }

  /** Queued and running jobs, by device then job id. */
  activeJobs(): { device: string; job: JobMessage }[] {
    const out: { device: string; job: JobMessage }[] = [];
    for (const device of [...this.jobs.keys()].sort()) {
      for (const job of this.jobs.get(device)!.values())
        if (ACTIVE_JOB_STATUSES.includes(job.status)) out.push({ device, job });
    }
    return out;
  }
}

function replace<K, V>(map: Map<K, V>, key: K, value: V): boolean {
  const held = map.get(key);
  if (held !== undefined && JSON.stringify(held) === JSON.stringify(value)) return false;
  map.set(key, value);
  return true;
}
