import type { FlagDoc } from './args';

export const JSON_FLAG: FlagDoc = { name: 'json', description: 'print one JSON object instead of text' };

/** Flags every command that talks to a running daemon takes. */
export const DAEMON_FLAGS: readonly FlagDoc[] = [
  { name: 'config', value: 'FILE', description: "the daemon's config file (default: config.yaml in its home)" },
  { name: 'home', value: 'DIR', description: "the daemon's home directory (default: $DEEPEND_HOME, else ~/.deepend)" },
  JSON_FLAG,
];

/** The names of flags, for code that checks whether one was given. */
export function flagNames(flags: readonly FlagDoc[]): string[] {
  return flags.map((f) => f.name);
}
