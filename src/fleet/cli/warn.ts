import type { CommandIO } from '../../cli-kit/output';

/** Warnings of the fleet subcommands: one line on stderr each. */
export function warner(io: Pick<CommandIO, 'err'>): (line: string) => void {
  return (line) => io.err.write(`deepend fleet: ${line}\n`);
}
