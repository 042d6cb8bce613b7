/*
 * The progress of each job as the console saw it arrive: one sample per job
 * message (percent and step over time), from which the page draws the job's
 * curve and the console estimates when it ends.
 */
import type { JobMessage } from '../../contract/messages';

export interface ProgressSample {
  /** When the console received the message (ISO); the device's clock may differ. */
  at: string;
  percent: number;
  step: string;
  status: string;
  /** The candidate's validation accuracy the message carried (an epoch's end), for the accuracy curve. */
  validationAccuracy?: number;
}

/** Samples kept per job: a progress message comes at most once a second, so this is over an hour of a job. */
const MAX_SAMPLES = 4000;
/** Jobs whose samples are kept; the oldest job's go first. */
const MAX_JOBS = 5000;

export class JobCurves {
  private readonly curves = new Map<string, ProgressSample[]>();

  add(job: JobMessage, at: Date): ProgressSample {
    const sample: ProgressSample = { at: at.toISOString(), percent: job.percent, step: job.step, status: job.status };
    if (job.validationAccuracy !== undefined && job.validationAccuracy !== null)
      sample.validationAccuracy = job.validationAccuracy;
    let curve = this.curves.get(job.jobId);
    if (!curve) {
      curve = [];
      this.curves.set(job.jobId, curve);
      if (this.curves.size > MAX_JOBS) this.curves.delete(this.curves.keys().next().value!);
    }
    curve.push(sample);
    if (curve.length > MAX_SAMPLES) curve.splice(0, curve.length - MAX_SAMPLES);
    return sample;
  }

  of(jobId: string): ProgressSample[] {
    return this.curves.get(jobId) ?? [];
  }

  /**
   * Seconds until the job reaches 100 %, from the pace since the first
   * running sample; null before the pace is known (under 2 s or no progress).
   */
  etaSeconds(job: JobMessage, now: number): number | null {
    if (job.status !== 'running') return null;
    const running = this.of(job.jobId).filter((s) => s.status === 'running');
    const first = running[0];
    const last = running.at(-1);
    if (!first || !last) return null;
    const seconds = (Date.parse(last.at) - Date.parse(first.at)) / 1000;
    const gained = last.percent - first.percent;
    if (seconds < 2 || gained <= 0) return null;
    const left = ((100 - last.percent) * seconds) / gained;
    return Math.max(0, Math.round(left - (now - Date.parse(last.at)) / 1000));
  }
}
