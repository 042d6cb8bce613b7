import type { AgentSources } from './fleet/sources';
import type { DaemonPhase } from './fleet/device-state';
import type { Metrics } from '../serve';
import { tf } from '../tf';
import type { DaemonParts } from './status';
import { originOf } from '../model/meta';
import { ruleTarget } from '../policy/target';

/** The histogram the HTTP server records predict latencies in (src/serve/serve-metrics.ts). */
const LATENCY_HISTOGRAM = 'deepend_request_duration_seconds';

/** What the fleet agent reads of a running daemon: its parts, as they are at each read. */
export function daemonFleetSources(parts: DaemonParts, metrics: Metrics): AgentSources {
  return {
    phase: () => (parts.phase === 'running' || parts.phase === 'stopping' ? parts.phase : 'starting') as DaemonPhase,
    hardware: () => {
      const detection = parts.watcher?.current();
      if (!detection) return null;
      const f = detection.facts;
      return {
        cpu: { model: f.cpu.model, cores: f.cpu.cores },
        memoryBytes: f.memoryBytes,
        gpus: f.gpus.map((g) => ({ vendor: g.vendor, model: g.model, vramBytes: g.vramBytes })),
        jetson: f.jetson ? { ...f.jetson } : null,
        unifiedMemory: f.unifiedMemory,
        arch: f.arch,
        fingerprint: detection.fingerprint,
      };
    },
    backend: () => parts.backend?.name ?? 'unknown',
    policy: () => {
      const rule = parts.watcher?.current()?.match.rule ?? null;
      const served = parts.slot?.current();
      const targetDepth = rule ? ruleTarget(rule, served ? originOf(served.meta).depthAtImport : 0) : null;
      return {
        name: parts.policy?.name ?? 'unknown',
        hash: parts.policy?.hash ?? '',
        rule: rule?.name ?? null,
        targetDepth,
      };
    },
    predictUrl: () => (parts.httpUrl ? `${parts.httpUrl}/v1/models/${parts.config.model.name}:predict` : null),
    serving: () => metrics.histogramTotals(LATENCY_HISTOGRAM),
    tensors: () => tf.memory().numTensors,
    readOnly: () =>
      parts.readOnly ? { reason: parts.readOnly.reason.slice(0, 1024), since: parts.readOnly.since } : null,
    fallback: () => (parts.fallback ? { fromVersion: parts.fallback.fromVersion, reason: 'corrupt' } : null),
  };
}
