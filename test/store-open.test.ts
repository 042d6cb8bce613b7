import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, openStore, StoreError } from '../src/store';
import { MIGRATIONS } from '../src/store/migrations';
import { APPLICATION_ID, migrate } from '../src/store/migrate';
import type { Migration } from '../src/store/migrations/types';
import { tempHome } from './helpers/store-fixtures';

const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

function pragmas(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      userVersion: db.pragma('user_version', { simple: true }),
      applicationId: db.pragma('application_id', { simple: true }),
      journalMode: db.pragma('journal_mode', { simple: true }),
      tables: (
        db
          .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
          .all() as { name: string }[]
      ).map((r) => r.name),
    };
  } finally {
    db.close();
  }
}

/** Opening must fail with one line naming the file, and leave its bytes exactly as they were. */
function assertRefusedUntouched(home: string, expected: RegExp): void {
  const path = join(home, DB_FILE);
  const before = readFileSync(path);
  assert.throws(
    () => openStore(home),
    (err: Error) => {
      assert.ok(err instanceof StoreError, `expected a StoreError, got ${err.name}: ${err.message}`);
      assert.ok(err.message.startsWith(path), `message should name the file: ${err.message}`);
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, expected);
      return true;
    },
  );
  assert.ok(readFileSync(path).equals(before), 'the database file was modified');
}

function makeDatabase(home: string, fill: (s: ReturnType<typeof openStore>) => void): Buffer {
  const store = openStore(home);
  fill(store);
  store.close();
  return readFileSync(join(home, DB_FILE));
}

test('a missing database is created with every table, WAL and the newest schema', (t) => {
  const home = join(tempHome(t), 'nested', 'home');
  const store = openStore(home);
  assert.equal(store.path, join(home, DB_FILE));
  store.close();
  const p = pragmas(join(home, DB_FILE));
  assert.equal(p.userVersion, LATEST);
  assert.equal(p.applicationId, APPLICATION_ID);
  assert.equal(p.journalMode, 'wal');
  for (const table of [
    'model_versions',
    'committed_versions',
    'jobs',
    'job_transitions',
    'events',
    'processed_commands',
    'outbox',
    'settings',
  ]) {
    assert.ok(p.tables.includes(table), `missing table ${table}`);
  }
  assert.deepEqual(
    readdirSync(home).filter((f) => f.includes('.new-')),
    [],
    'temporary database left behind',
  );
});

test('re-opening keeps the data and runs no migration twice', (t) => {
  const home = tempHome(t);
  const first = openStore(home);
  first.setSetting('fingerprint', 'abc');
  first.close();
  first.close(); // closing twice is harmless
  const second = openStore(home);
  assert.equal(second.getSetting('fingerprint'), 'abc');
  second.close();
  assert.equal(pragmas(join(home, DB_FILE)).userVersion, LATEST);
});

test('two stores on one file see each other (WAL, busy timeout)', (t) => {
  const home = tempHome(t);
  const a = openStore(home);
  const b = openStore(home);
  a.setSetting('k', 'from a');
  assert.equal(b.getSetting('k'), 'from a');
  a.close();
  b.close();
});

test('an empty SQLite database (no tables) is migrated in place', (t) => {
  const home = tempHome(t);
  new Database(join(home, DB_FILE)).pragma('journal_mode = WAL'); // writes a header, no tables
  const store = openStore(home);
  store.close();
  assert.equal(pragmas(join(home, DB_FILE)).userVersion, LATEST);
});

test('garbage bytes: refused, file untouched', (t) => {
  const home = tempHome(t);
  writeFileSync(join(home, DB_FILE), Buffer.from('not a database at all, just some text '.repeat(200)));
  assertRefusedUntouched(home, /not a SQLite database/);
});

test('an empty (zero-byte) file is not taken for a new database', (t) => {
  const home = tempHome(t);
  writeFileSync(join(home, DB_FILE), '');
  assertRefusedUntouched(home, /0 bytes long/);
});

test('a database truncated at several points: refused, file untouched', (t) => {
  const home = tempHome(t);
  const good = makeDatabase(home, (s) => {
    for (let i = 0; i < 400; i++) s.logEvent('filler', { i, text: 'x'.repeat(200) });
  });
  assert.ok(good.length > 8 * 4096, 'the fixture should span many pages');
  for (const size of [50, 4096, 4096 + 100, Math.floor(good.length / 2), good.length - 4096]) {
    writeFileSync(join(home, DB_FILE), good.subarray(0, size));
    assertRefusedUntouched(home, /truncated|corrupt|cannot be used|malformed/i);
  }
});

test('a directory where the database should be: refused', (t) => {
  const home = tempHome(t);
  mkdirSync(join(home, DB_FILE));
  assert.throws(
    () => openStore(home),
    (err: Error) =>
      err instanceof StoreError && err.message === `${join(home, DB_FILE)}: is a directory, not a database file`,
  );
  assert.deepEqual(readdirSync(join(home, DB_FILE)), []);
});

test('another program’s SQLite database: refused, untouched', (t) => {
  const home = tempHome(t);
  const db = new Database(join(home, DB_FILE));
  db.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('ann')");
  db.close();
  assertRefusedUntouched(home, /not deepend's/);
});

test('a database from a newer deepend: refused with both versions, untouched', (t) => {
  const home = tempHome(t);
  makeDatabase(home, () => {});
  const db = new Database(join(home, DB_FILE));
  db.pragma('journal_mode = DELETE'); // so that switching it back to WAL would show as a change
  db.pragma(`user_version = ${LATEST + 5}`);
  db.close();
  assertRefusedUntouched(
    home,
    new RegExp(`schema version ${LATEST + 5}, newer than this deepend knows \\(${LATEST}\\)`),
  );
});

test('a home that is a file: clear error', (t) => {
  const file = join(tempHome(t), 'home');
  writeFileSync(file, 'x');
  assert.throws(() => openStore(file), /home directory is a file/);
});

test('after close the WAL is folded into the main file', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  store.logEvent('x', {});
  assert.ok(existsSync(join(home, `${DB_FILE}-wal`)));
  store.close();
  assert.ok(!existsSync(join(home, `${DB_FILE}-wal`)), 'WAL file left after close');
  assert.throws(() => store.getSetting('k'), /not open/);
});

test('a migration that fails leaves the previous schema version and none of its tables', (t) => {
  const path = join(tempHome(t), 'm.db');
  const db = new Database(path);
  t.after(() => db.close());
  const steps: Migration[] = [
    { version: 1, name: 'one', up: (d) => d.exec('CREATE TABLE a (x INTEGER)') },
    {
      version: 2,
      name: 'two',
      up: (d) => {
        d.exec('CREATE TABLE b (x INTEGER)');
        throw new Error('step two breaks');
      },
    },
  ];
  assert.throws(() => migrate(db, path, steps), /step two breaks/);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map(
    (r) => r.name,
  );
  assert.deepEqual(tables, ['a']);
  assert.deepEqual(migrate(db, path, steps.slice(0, 1)), [], 'nothing left to apply');
});

test('schema 3 rebuilds model_versions to allow depth 0: the rows, their lineage and the committed version are kept', (t) => {
  const path = join(tempHome(t), 'v2.db');
  const db = new Database(path);
  t.after(() => db.close());
  db.pragma('foreign_keys = ON');
  assert.deepEqual(migrate(db, path, MIGRATIONS.slice(0, 2)), [1, 2]);
  const sha = 'a'.repeat(64);
  const ts = '2026-01-01T00:00:00.000Z';
  const insert = db.prepare(
    `INSERT INTO model_versions (name, version, parent, depth, method, sha256, metrics, dir, created_at, committed_at)
     VALUES ('m', ?, ?, ?, 'dils', ?, '{}', ?, ?, ?)`,
  );
  insert.run(1, null, 2, sha, 'v1', ts, ts);
  insert.run(2, 1, 3, sha, 'v2', ts, ts);
  db.prepare(`INSERT INTO committed_versions VALUES ('m', 2, ?)`).run(ts);
  assert.throws(() => insert.run(3, 2, 0, sha, 'v3', ts, null), /CHECK constraint failed: depth >= 1/);

  assert.deepEqual(migrate(db, path), [3]);
  assert.equal(db.pragma('user_version', { simple: true }), 3);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again');
  assert.deepEqual(
    db.prepare('SELECT version, parent, depth, committed_at FROM model_versions ORDER BY version').all(),
    [
      { version: 1, parent: null, depth: 2, committed_at: ts },
      { version: 2, parent: 1, depth: 3, committed_at: ts },
    ],
  );
  insert.run(3, 2, 0, sha, 'v3', ts, null);
  assert.throws(() => insert.run(4, 3, -1, sha, 'v4', ts, null), /CHECK constraint failed: depth >= 0/);
  // the committed version still refers to a row that must exist
  assert.throws(() => db.prepare(`UPDATE committed_versions SET version = 9 WHERE name = 'm'`).run(), /FOREIGN KEY/);
});

test('a schema step that would break foreign keys is rolled back before it commits, and foreign keys are on again', (t) => {
  const path = join(tempHome(t), 'fk.db');
  const db = new Database(path);
  t.after(() => db.close());
  db.pragma('foreign_keys = ON');
  migrate(db, path, MIGRATIONS.slice(0, 2));
  const ts = '2026-01-01T00:00:00.000Z';
  db.prepare(
    `INSERT INTO model_versions (name, version, parent, depth, method, sha256, metrics, dir, created_at)
     VALUES ('m', 1, NULL, 2, NULL, ?, '{}', 'v1', ?)`,
  ).run('b'.repeat(64), ts);
  db.prepare(`INSERT INTO committed_versions VALUES ('m', 1, ?)`).run(ts);
  const breaking: Migration = { version: 3, name: 'breaking', up: (d) => d.exec('DELETE FROM model_versions') };
  assert.throws(
    () => migrate(db, path, [...MIGRATIONS.slice(0, 2), breaking]),
    /fk\.db: schema step 3 \(breaking\) would leave 1 rows breaking foreign keys$/,
  );
  assert.equal(db.pragma('user_version', { simple: true }), 2);
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal((db.prepare('SELECT count(*) AS n FROM model_versions').get() as { n: number }).n, 1);
});
