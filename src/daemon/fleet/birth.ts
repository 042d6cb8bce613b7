import type { Config } from '../../config';
import type { Store } from '../../store/types';
import { lineageOf } from '../../store/model-verify';
import { describeProducer } from '../../model/meta';
import type { BirthMessage, BirthModel } from '../../contract/messages';
import { DAEMON_VERSION } from '../../util/version';
import type { AgentSources } from './sources';

const NO_HARDWARE: BirthMessage['hardware'] = {
  cpu: { model: 'unknown', cores: 0 },
  memoryBytes: 0,
  gpus: [],
  jetson: null,
  unifiedMemory: false,
  arch: process.arch,
  fingerprint: '',
};

/** The lineage of the committed version for the birth message; absent when its meta.json cannot be read. */
function birthOrigin(dir: string): BirthModel['origin'] {
  try {
    const origin = lineageOf(dir);
    return { format: origin.format, producer: describeProducer(origin.producer), depthAtImport: origin.depthAtImport };
  } catch {
    return undefined;
  }
}

export function birthModel(store: Store, modelName: string): BirthModel {
  const v = store.committedVersion(modelName);
  if (!v) return { name: modelName, version: 0, depth: 0, accuracy: null, sha256: '' };
  const accuracy = typeof v.metrics.accuracy === 'number' ? v.metrics.accuracy : null;
  return {
    name: modelName,
    version: v.version,
    depth: v.depth,
    accuracy,
    sha256: v.sha256,
    origin: birthOrigin(v.dir),
  };
}

/** The retained snapshot of what this device is, sent on every connect, after every model change and on cmd/rebirth. */
export function birthMessage(config: Config, store: Store, sources: AgentSources, session: number): BirthMessage {
  return {
    device: config.deviceId,
    fleet: config.fleet,
    groups: config.groups,
    session,
    daemonVersion: DAEMON_VERSION,
    hardware: sources.hardware() ?? NO_HARDWARE,
    backend: sources.backend(),
    policy: sources.policy(),
    model: {
      ...birthModel(store, config.model.name),
      ...(sources.fallback?.() ? { fallback: sources.fallback()! } : {}),
    },
    predictUrl: sources.predictUrl(),
    ...(sources.readOnly?.() ? { readOnly: sources.readOnly()! } : {}),
    ts: new Date().toISOString(),
  };
}
