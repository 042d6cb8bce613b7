/**
 * The Node flags the daemon is started with (`npm start`, daemon/deepend.service, the benchmarks): V8's
 * memory-saving mode. A daemon runs for months beside the model it serves, often on a device whose memory the
 * GPU shares (a Jetson). In bench:soak it holds about 118 MB instead of 150 and grows 0.02-0.04 MB per upgrade
 * and rollback instead of 0.05-0.06; the price is a lower peak predict throughput under saturating load
 * (docs/design/reliability.md, "V8's memory-saving mode"). V8 honours it only on the command line: set from
 * inside the process it leaves the young generation growing, so it lives in the launchers, and the daemon says
 * at start when it runs without it.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];

/**
 * The execArgv for a forked child that trains (a growth), where speed counts more than memory: this process's
 * without the daemon's flags, or undefined (fork's default) when it has none of them. fork() drops `-e CODE` from
 * its default itself, and from that alone; an explicit list keeps it, so it is dropped here too (a child would run
 * the parent's script again, and fork again).
 */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] | undefined {
  if (!DAEMON_NODE_FLAGS.some((flag) => execArgv.includes(flag))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    if (['-e', '--eval', '-p', '--print'].includes(arg)) i++;
    else if (!/^--(eval|print)=/.test(arg) && !DAEMON_NODE_FLAGS.includes(arg)) out.push(arg);
  }
  return out;
}

/** Whether this process was started with the daemon's Node flags. */
export function hasDaemonNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  return DAEMON_NODE_FLAGS.every((flag) => execArgv.includes(flag));
}
