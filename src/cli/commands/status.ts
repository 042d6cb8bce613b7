import { watchFigures } from '../../jobs/swap-watch';
import { parseArgs } from '../../cli-kit/args';
import { CommandIO, keyValues, pct } from '../../cli-kit/output';
import { clientFor } from '../../daemon/control-client';
import type { DaemonStatus } from '../../daemon/status';
import { describeAdapter } from '../../compute/webgpu/adapter';
import type { JobProgressView } from '../../daemon/progress-board';
import { STATUS_SPEC } from '../command-specs';

export function describeProgress(p: JobProgressView | null): string {
  if (!p) return '';
  const epoch = p.epochs !== undefined ? ` epoch ${p.epoch + 1}/${p.epochs}` : ` epoch ${p.epoch + 1}`;
  const val = p.validationAccuracy !== undefined ? ` val ${pct(p.validationAccuracy)}` : '';
  const eta = p.etaSeconds !== undefined ? ` ETA ${p.etaSeconds}s` : '';
  return `${p.percent.toFixed(1)}% ${p.step}${p.detail ? ` ${p.detail}` : ''}${epoch} loss ${p.loss.toPrecision(4)}${val}${eta}`;
}

function describeModel(s: DaemonStatus): string {
  const c = s.model.committed;
  if (!c) return `${s.model.name}: nothing committed`;
  const accuracy = c.accuracy === null ? 'accuracy unknown' : `accuracy ${pct(c.accuracy)}`;
  const serving = s.model.servingVersion === c.version ? '' : ` (serving v${s.model.servingVersion ?? '-'})`;
  return `${s.model.name} v${c.version}, depth ${c.depth}, ${accuracy}${c.method ? `, grown by ${c.method}` : ''}${serving}`;
}

function describeOrigin(s: DaemonStatus): string {
  const o = s.model.origin;
  if (!o) return '-';
  if (o.format === 'deepend') return `deepend's own model (depth ${o.depthAtImport} as shipped or trained)`;
  return `imported from ${o.format}${o.source ? ` ${o.source}` : ''}${o.producer ? ` (${o.producer})` : ''}, depth ${o.depthAtImport} at import`;
}

/** `deepend status`: what the running daemon serves and does. */
export async function statusCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(STATUS_SPEC, argv);
  const s = await clientFor({ config: args.values.get('config'), home: args.values.get('home') }).ok<DaemonStatus>(
    'GET',
    '/status',
  );
  if (io.json) {
    io.out(JSON.stringify(s));
    return 0;
  }
  const rule = s.policy?.rule;
  const job = s.job;
  io.out(
    keyValues([
      [
        'device',
        `${s.device.id} (fleet ${s.device.fleet}${s.device.groups.length ? `, groups ${s.device.groups.join(', ')}` : ''})`,
      ],
      ['daemon', `${s.phase}, pid ${s.pid}, up ${s.uptimeSeconds}s, home ${s.home}`],
      [
        'backend',
        s.backend ? `${s.backend.name} (${s.backend.package}${s.backend.gpu ? ', GPU' : ''})` : 'not loaded yet',
      ],
      ['model', describeModel(s)],
      ['origin', describeOrigin(s)],
      ['serving', s.http?.predict ?? 'not yet'],
      ['policy', s.policy ? `${s.policy.name} (${s.policy.file})` : 'not loaded yet'],
      ['rule', rule ? `${rule.name} (rules[${rule.index}]): ${rule.decision}` : 'none matches this device'],
      [
        'job',
        job
          ? `${job.id} ${job.kind} (${job.trigger}) ${job.state}${job.progress ? ` ${describeProgress(job.progress)}` : ''}${s.shadow ? `, shadow on live traffic: ${s.shadow.requests} of ${s.shadow.wanted} requests compared, until ${s.shadow.endsAt}` : ''}`
          : 'none',
      ],
      [
        'watch',
        s.watch
          ? `v${s.watch.version} (from v${s.watch.fromVersion}, job ${s.watch.jobId}) on live traffic until ${s.watch.endsAt}: ${watchFigures({ ...s.watch, reason: null })} so far; past a limit it rolls back by itself`
          : 'none',
      ],
      [
        'fleet',
        s.fleet
          ? `${s.fleet.connected ? 'connected to' : 'not connected to'} ${s.fleet.broker ?? 'no broker yet'}${s.fleet.embedded ? ' (embedded)' : ''} as ${s.fleet.topics}; ${s.fleet.outboxPending} report${s.fleet.outboxPending === 1 ? '' : 's'} waiting`
          : 'not started yet',
      ],
      [
        'compute',
        s.compute
          ? `fingerprint ${s.compute.fingerprint.slice(0, 12)}, detected ${s.compute.detectedAt}`
          : 'not detected yet',
      ],
      ['webgpu', s.compute?.webgpu ? describeAdapter(s.compute.webgpu) : 'not probed'],
      ['memory', `RSS ${s.memory.rssMB} MB, heap ${s.memory.heapMB} MB`],
    ]),
  );
  return 0;
}
