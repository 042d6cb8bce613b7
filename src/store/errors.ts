/**
 * Every problem with the daemon's state (database file, schema, model
 * directories, refused job transitions) is a StoreError: one line that names
 * the file or the job, so `deepend start` can print it as is.
 */
export class StoreError extends Error {
  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`.replace(/\s*[\r\n]+\s*/g, ' ').trim());
    this.name = 'StoreError';
  }
}
