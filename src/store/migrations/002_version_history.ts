import type { Migration } from './types';

/**
 * When a version was first committed (retention keeps "the last N committed
 * versions", and the corrupt-version fallback only returns to a version that
 * once served), and whether it was quarantined (its files moved aside because
 * they failed their checksum or their load). Existing rows are back-filled
 * from the `model.committed` events and the committed version.
 */
export const versionHistory: Migration = {
  version: 2,
  name: 'version_history',
  up(db) {
    db.exec(`
      ALTER TABLE model_versions ADD COLUMN committed_at TEXT;
      ALTER TABLE model_versions ADD COLUMN quarantined_at TEXT;
      ALTER TABLE model_versions ADD COLUMN quarantine_reason TEXT;
      UPDATE model_versions SET committed_at = (
        SELECT MIN(e.at) FROM events e
        WHERE e.kind = 'model.committed' AND json_extract(e.data, '$.name') = model_versions.name
          AND json_extract(e.data, '$.version') = model_versions.version
      );
      UPDATE model_versions SET committed_at = (
        SELECT c.committed_at FROM committed_versions c WHERE c.name = model_versions.name AND c.version = model_versions.version
      ) WHERE committed_at IS NULL;
    `);
  },
};
