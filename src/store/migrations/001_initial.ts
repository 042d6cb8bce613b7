import type { Migration } from './types';

const TERMINAL = `('succeeded', 'rejected', 'failed', 'canceled')`;
const STATES = `('queued', 'planning', 'growing', 'validating', 'swapping', 'succeeded', 'rejected', 'failed', 'canceled')`;

export const initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE model_versions (
        name       TEXT NOT NULL,
        version    INTEGER NOT NULL CHECK (version >= 1),
        -- no foreign key: an old parent's files (and row) may be pruned while its children keep their lineage
        parent     INTEGER CHECK (parent IS NULL OR parent >= 1),
        depth      INTEGER NOT NULL CHECK (depth >= 1),
        method     TEXT,
        sha256     TEXT NOT NULL CHECK (length(sha256) = 64),
        metrics    TEXT NOT NULL CHECK (json_valid(metrics)),
        dir        TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT;

      -- one row per model name: the version that serves. A separate table makes "exactly one" structural.
      CREATE TABLE committed_versions (
        name         TEXT PRIMARY KEY,
        version      INTEGER NOT NULL,
        committed_at TEXT NOT NULL,
        FOREIGN KEY (name, version) REFERENCES model_versions (name, version)
      ) STRICT;

      CREATE TABLE jobs (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL CHECK (kind IN ('upgrade', 'rollback')),
        triggered_by TEXT NOT NULL CHECK (triggered_by IN ('automatic', 'manual', 'fleet')),
        request      TEXT NOT NULL CHECK (json_valid(request)),
        command_id   TEXT UNIQUE,
        state        TEXT NOT NULL CHECK (state IN ${STATES}),
        attempts     INTEGER NOT NULL DEFAULT 0,
        reason       TEXT,
        result       TEXT CHECK (result IS NULL OR json_valid(result)),
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        ended_at     TEXT
      ) STRICT;
      CREATE INDEX jobs_unfinished ON jobs (state) WHERE state NOT IN ${TERMINAL};

      -- the store validates edges; this makes "a job ends once" hold even for a buggy writer
      CREATE TRIGGER jobs_end_once BEFORE UPDATE OF state ON jobs
      WHEN OLD.state IN ${TERMINAL}
      BEGIN SELECT RAISE(ABORT, 'job has already ended'); END;

      CREATE TABLE job_transitions (
        job_id     TEXT NOT NULL REFERENCES jobs (id),
        seq        INTEGER NOT NULL CHECK (seq >= 1),
        from_state TEXT CHECK (from_state IS NULL OR from_state IN ${STATES}),
        to_state   TEXT NOT NULL CHECK (to_state IN ${STATES}),
        at         TEXT NOT NULL,
        detail     TEXT NOT NULL CHECK (json_valid(detail)),
        PRIMARY KEY (job_id, seq)
      ) STRICT;

      CREATE TABLE events (
        id   INTEGER PRIMARY KEY AUTOINCREMENT,
        at   TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL CHECK (json_valid(data))
      ) STRICT;
      CREATE INDEX events_at ON events (at);

      CREATE TABLE processed_commands (
        command_id TEXT PRIMARY KEY,
        at         TEXT NOT NULL,
        result     TEXT NOT NULL CHECK (json_valid(result))
      ) STRICT;
      CREATE INDEX processed_commands_at ON processed_commands (at);

      -- AUTOINCREMENT: ids never go back, even after pruning, so id order is the delivery order
      CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        topic      TEXT NOT NULL,
        payload    TEXT NOT NULL CHECK (json_valid(payload)),
        retain     INTEGER NOT NULL CHECK (retain IN (0, 1)),
        qos        INTEGER NOT NULL CHECK (qos IN (0, 1)),
        created_at TEXT NOT NULL,
        sent_at    TEXT
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `);
  },
};
