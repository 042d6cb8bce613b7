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

/** A Node or V8 flag's name in one spelling: V8 reads `--optimize_for_size` as `--optimize-for-size`. */
function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  const name = eq < 0 ? arg : arg.slice(0, eq);
  return name.startsWith('--') ? name.replace(/_/g, '-') : name;
}

/** The bare flag: `--optimize-for-size=false` turns the mode off, so it is not the daemon's flag. */
function isDaemonFlag(arg: string): boolean {
  return !arg.includes('=') && DAEMON_NODE_FLAGS.includes(flagName(arg));
}

/** `-e CODE`, `-p CODE`, `-pe CODE`, `--eval CODE`, `--print CODE`: a flag whose next argument is code. */
const EVAL_FLAG = /^(-[ep]{1,2}|--eval|--print)$/;

/**
 * The execArgv for a forked child that trains (a growth), where speed counts more than memory: this process's
 * without the daemon's flags, or undefined (fork's default) when it has none of them. fork() drops the code of
 * `-e CODE` from its default itself, and from that alone; an explicit list keeps it, so it is dropped here too (a
 * child would run the parent's script again, and fork again).
 */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] | undefined {
  if (!execArgv.some(isDaemonFlag)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    if (EVAL_FLAG.test(arg)) i++;
    else if (!/^--(eval|print)=/.test(arg) && !isDaemonFlag(arg)) out.push(arg);
  }
  return out;
}

/** Whether this process was started with the daemon's Node flags, in either spelling. */
export function hasDaemonNodeFlags(execArgv: readonly string[] = process.execArgv): boolean {
  const names = execArgv.filter(isDaemonFlag).map(flagName);
  return DAEMON_NODE_FLAGS.every((flag) => names.includes(flag));
}
