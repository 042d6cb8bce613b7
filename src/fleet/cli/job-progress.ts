import type { JobMessage } from '../../contract/messages';

const BAR_WIDTH = 24;

/** `running stage2 40%`; an ended job is its status alone. */
export function describeJob(job: JobMessage): string {
  if (job.status !== 'queued' && job.status !== 'running') return job.status;
  const step = job.step && job.step !== job.status ? ` ${job.step}` : '';
  return `${job.status}${step} ${Math.round(job.percent)}%`;
}

/**
 * A remote job's progress on stderr: a redrawn bar on a terminal, else one
 * line per status, step or tenth of progress (logs stay short). Quiet draws nothing.
 */
export class JobProgressLine {
  private lastKey = '';
  private drawnLength = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  update(job: JobMessage): void {
    if (this.quiet) return;
    if (this.stream.isTTY) {
      const filled = Math.round((Math.min(100, Math.max(0, job.percent)) / 100) * BAR_WIDTH);
      const line = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${describeJob(job)}`.slice(
        0,
        (this.stream.columns || 120) - 1,
      );
      this.stream.write(`\r${line.padEnd(this.drawnLength)}`);
      this.drawnLength = line.length;
      return;
    }
    const key = `${job.status} ${job.step} ${Math.floor(job.percent / 10)}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.stream.write(`${describeJob(job)}\n`);
  }

  /** A line of its own between updates. */
  note(text: string): void {
    if (this.quiet) return;
    this.finish();
    this.stream.write(`${text}\n`);
  }

  finish(): void {
    if (this.drawnLength > 0 && this.stream.isTTY) this.stream.write('\n');
    this.drawnLength = 0;
  }
}
