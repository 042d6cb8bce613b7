import { ProgressEvent } from '../train/progress';

const BAR_WIDTH = 24;

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function describe(e: ProgressEvent): string {
  const epoch = e.epochs !== undefined ? `epoch ${e.epoch + 1}/${e.epochs}` : `epoch ${e.epoch + 1}`;
  const val = e.validationAccuracy !== undefined ? ` val ${percent(e.validationAccuracy)}` : '';
  const eta = e.etaSeconds !== undefined && Number.isFinite(e.etaSeconds) ? ` ETA ${Math.ceil(e.etaSeconds)}s` : '';
  return `${e.stage}${e.detail ? ` ${e.detail}` : ''} ${epoch} loss ${e.loss.toPrecision(4)}${val}${eta}`;
}

/**
 * Draws progress: a redrawn bar on a terminal, otherwise one plain line per
 * finished epoch (so logs and pipes stay readable). Quiet draws nothing.
 */
export class ProgressPrinter {
  private lastDraw = 0;
  private lastStage = '';
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {}

  readonly onProgress = (e: ProgressEvent): void => {
    if (this.quiet) return;
    if (this.stream.isTTY) {
      const now = Date.now();
      const stageChanged = e.stage !== this.lastStage;
      if (!stageChanged && e.validationAccuracy === undefined && now - this.lastDraw < 100) return;
      if (stageChanged && this.drawn) this.stream.write('\n');
      this.lastStage = e.stage;
      this.lastDraw = now;
      const filled = Math.round(e.fraction * BAR_WIDTH);
      const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
      const line = `${bar} ${String(Math.round(e.fraction * 100)).padStart(3)}% ${describe(e)}`;
      const columns = this.stream.columns ?? 120;
      this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length + 8))}`);
      this.drawn = true;
    } else if (e.validationAccuracy !== undefined || e.stage !== this.lastStage) {
      if (e.validationAccuracy === undefined) {
        this.lastStage = e.stage;
        this.stream.write(`${e.stage}${e.detail ? ` ${e.detail}` : ''}: started\n`);
        return;
      }
      this.stream.write(`${describe(e)}\n`);
    }
  };

  /** Ends the bar's line so the next output starts clean. */
  finish(): void {
    if (this.drawn && this.stream.isTTY) this.stream.write('\n');
    this.drawn = false;
  }

  /** A status line between stages. */
  note(text: string): void {
    if (this.quiet) return;
    this.finish();
    this.stream.write(`${text}\n`);
  }
}
