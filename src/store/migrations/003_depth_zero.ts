import type { Migration } from './types';

/**
 * A served model may have depth 0: a user's model whose head has no hidden layer yet (features, Dropout, the
 * output Dense, as the Keras transfer-learning tutorial ends), which its first growth gives one (grow/seed.ts).
 * SQLite cannot change a CHECK constraint in place, so model_versions is rebuilt as its documented procedure
 * does (https://sqlite.org/lang_altertable.html#otheralter): a new table, the rows copied, the old one dropped
 * and the new one renamed, while migrate() holds foreign keys off and checks them after.
 */
export const depthZero: Migration = {
  version: 3,
  name: 'depth_zero',
  up(db) {
    db.exec(`
      CREATE TABLE model_versions_new (
        name              TEXT NOT NULL,
        version           INTEGER NOT NULL CHECK (version >= 1),
        parent            INTEGER CHECK (parent IS NULL OR parent >= 1),
        depth             INTEGER NOT NULL CHECK (depth >= 0),
        method            TEXT,
        sha256            TEXT NOT NULL CHECK (length(sha256) = 64),
        metrics           TEXT NOT NULL CHECK (json_valid(metrics)),
        dir               TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        committed_at      TEXT,
        quarantined_at    TEXT,
        quarantine_reason TEXT,
        PRIMARY KEY (name, version)
      ) STRICT;
      INSERT INTO model_versions_new (name, version, parent, depth, method, sha256, metrics, dir, created_at,
                                      committed_at, quarantined_at, quarantine_reason)
        SELECT name, version, parent, depth, method, sha256, metrics, dir, created_at,
               committed_at, quarantined_at, quarantine_reason
        FROM model_versions;
      DROP TABLE model_versions;
      ALTER TABLE model_versions_new RENAME TO model_versions;
    `);
  },
};
