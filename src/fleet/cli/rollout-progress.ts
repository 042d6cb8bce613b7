/* A rollout's live progress on stderr: one line per batch, redrawn on a terminal, else printed when it changes. */
import { qualityText, WaveFigures } from './rollout-plan';
import type { DeviceRolloutStatus } from './rollout-state';

export interface BatchSnapshot {
  /** 'batch' (canary and batches) or 'wave' (--waves). */
  unit: 'batch' | 'wave';
  label: string;
  index: number;
  count: number;
  /** The wave's cumulative percentage (--waves). */
  pct?: number;
  devices: { device: string; status: DeviceRolloutStatus; percent: number | null }[];
}

export interface BatchCounts {
  succeeded: number;
  failed: number;
  running: number;
  waiting: number;
}

export function countBatch(s: BatchSnapshot): BatchCounts {
  const c: BatchCounts = { succeeded: 0, failed: 0, running: 0, waiting: 0 };
  for (const d of s.devices) {
    if (d.status === 'succeeded') c.succeeded++;
    else if (d.status === 'failed') c.failed++;
    else if (d.status === 'running') c.running++;
    else c.waiting++;
  }
  return c;
}

/**
 * `batch canary (1/3, 2 devices): 1 succeeded, 0 failed, 1 running, 0 waiting; dev-b 40%`
 * (percents in tens for logs); once the batch is over (`figures`), its
 * succeeded / rejected / failed / pending and its quality figures.
 */
export function batchLine(s: BatchSnapshot, opts: { coarse?: boolean; figures?: WaveFigures } = {}): string {
  const c = countBatch(s);
  const running = s.devices
    .filter((d) => d.status === 'running' && d.percent !== null)
    .map((d) => `${d.device} ${opts.coarse ? Math.floor(d.percent! / 10) * 10 : Math.round(d.percent!)}%`);
  const pct = s.pct === undefined ? '' : `${s.pct}%, `;
  const head = `${s.unit} ${s.label} (${s.index + 1}/${s.count}, ${pct}${s.devices.length} device${s.devices.length === 1 ? '' : 's'})`;
  const f = opts.figures;
  if (f)
    return `${head} over: ${f.succeeded} succeeded, ${f.rejected} rejected, ${f.failed} failed, ${f.pending} pending; ${qualityText(f)}`;
  return `${head}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.running} running, ${c.waiting} waiting${running.length ? `; ${running.join(', ')}` : ''}`;
}

const THROTTLE_MS = 250;

export class RolloutProgress {
  private last = '';
  private drawnLength = 0;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | null = null;
  private pendingSnapshot: BatchSnapshot | null = null;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly quiet: boolean,
  ) {}

  show(s: BatchSnapshot): void {
    if (this.quiet) return;
    if (!this.stream.isTTY) {
      const line = batchLine(s, { coarse: true });
      if (line !== this.last) this.stream.write(`${line}\n`);
      this.last = line;
      return;
    }
    this.pendingSnapshot = s;
    if (this.timer) return;
    this.timer = setTimeout(() => this.draw(), Math.max(0, this.lastDraw + THROTTLE_MS - Date.now()));
  }

  note(text: string): void {
    if (this.quiet) return;
    this.end();
    this.stream.write(`${text}\n`);
  }

  /** Draws what is pending and ends the redrawn line. */
  end(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.draw();
    }
    if (this.drawnLength > 0) this.stream.write('\n');
    this.drawnLength = 0;
  }

  private draw(): void {
    this.timer = null;
    this.lastDraw = Date.now();
    if (!this.pendingSnapshot) return;
    const line = batchLine(this.pendingSnapshot).slice(0, (this.stream.columns || 120) - 1);
    this.stream.write(`\r${line.padEnd(this.drawnLength)}`);
    this.drawnLength = line.length;
  }
}
