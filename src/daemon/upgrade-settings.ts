import type { Store } from '../store';

/** The settings rows (store.getSetting) of the automatic upgrade decision (compute-watcher.ts). */
export const SETTING = {
  fingerprint: 'compute.fingerprint',
  facts: 'compute.facts',
  detectedAt: 'compute.detectedAt',
  /** The fingerprint whose automatic upgrade is done with. */
  handled: 'upgrade.handledFingerprint',
  /** {jobId, fingerprint, attempt} of the automatic job in flight. */
  autoJob: 'upgrade.autoJob',
  /** {fingerprint, attempt, retryOf}: the next try of an automatic upgrade the gate rejected. */
  retry: 'upgrade.retry',
} as const;

/**
 * Forgets what was decided for the model that served before (the fingerprint it was handled for, a pending
 * retry): another model now serves, and the policy decides its automatic upgrade afresh.
 */
export function forgetUpgradeDecision(store: Pick<Store, 'atomically' | 'setSetting'>): void {
  store.atomically(() => {
    store.setSetting(SETTING.handled, '');
    store.setSetting(SETTING.retry, '');
  });
}
