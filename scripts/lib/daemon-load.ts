// What the daemon benchmarks do to a running daemon: predictions at a fixed rate, and waiting for a job to end.
import type { ControlClient } from '../../src/daemon/control-client';

/** A job as GET /jobs/ID answers once it has ended. */
export interface EndedJob {
  id: string;
  trigger: string;
  state: string;
  reason: string | null;
  result: Record<string, unknown> | null;
  createdAt: string;
  endedAt: string | null;
}

/** Predictions at a fixed rate (each on its own schedule tick, not waiting for the previous one). */
export function steadyPredictions(url: string, perSecond: number) {
  const body = JSON.stringify({ instances: [new Array(784).fill(0)] });
  const counts = { ok: 0, failed: 0 };
  const timer = setInterval(() => {
    fetch(`${url}/v1/models/default:predict`, { method: 'POST', body })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) counts.ok++;
        else counts.failed++;
      })
      .catch(() => counts.failed++);
  }, 1000 / perSecond);
  return { counts, stop: () => clearInterval(timer) };
}

/** Polls GET /jobs/ID until the job has ended. */
export async function waitForJobEnd(client: ControlClient, id: string, pollMs = 200): Promise<EndedJob> {
  for (;;) {
    const { job } = await client.ok<{ job: EndedJob }>('GET', `/jobs/${id}`);
    if (job.endedAt !== null) return job;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
