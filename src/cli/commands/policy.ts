import {
  computeFacts,
  computeFingerprint,
  fingerprintFields,
  readRawHardware,
  readRecordedHardware,
} from '../../compute/detect';
import { describeFacts } from '../../compute/hardware/describe';
import {
  DEFAULT_POLICY_FILE,
  describeDecision,
  formatProblem,
  loadPolicy,
  matchRule,
  POLICY_BACKENDS,
  PolicyError,
} from '../../policy';
import { readPolicy } from '../../policy/check';
import { parseArgs, UsageError } from '../../cli-kit/args';
import { CommandIO, keyValues } from '../../cli-kit/output';
import { describeGate, gateSettings } from '../../policy/gate';
import { retriesOf } from '../../policy/retries';
import { POLICY_CHECK_SPEC, POLICY_EXPLAIN_SPEC } from '../command-specs';

/** `deepend policy check FILE...`: every problem as file:line: field: message; exit 1 if there is any. */
function check(argv: string[], io: CommandIO): number {
  const files = parseArgs(POLICY_CHECK_SPEC, argv, Number.POSITIVE_INFINITY).operands;
  if (files.length === 0) throw new UsageError('name the policy FILE to check');
  let failed = false;
  for (const file of files) {
    const { problems, rules } = readPolicy(file);
    failed ||= problems.length > 0;
    if (io.json) {
      io.out(JSON.stringify({ file, ok: problems.length === 0, problems, ...(rules ? { rules: rules.length } : {}) }));
    } else if (problems.length > 0) {
      for (const p of problems) io.out(formatProblem(p));
    } else {
      const n = rules?.length ?? 0;
      io.out(`${file}: ok (${n} rule${n === 1 ? '' : 's'})`);
    }
  }
  return failed ? 1 : 0;
}

/** The backend explain reports: --backend as given, else the one TF.js really loads here (DEEPEND_BACKEND applies). */
async function backendName(forced: string | undefined): Promise<string> {
  if (forced !== undefined) {
    if (!(POLICY_BACKENDS as readonly string[]).includes(forced))
      throw new UsageError(`--backend must be one of ${POLICY_BACKENDS.join(', ')}, got '${forced}'`);
    return forced;
  }
  // Loaded only here: `policy check` should not pay for TF.js.
  const { selectBackend } = await import('../../compute/backend');
  return (await selectBackend()).name;
}

/** `deepend policy explain [FILE]`: this device's facts and fingerprint, and which rule matches and why. */
async function explain(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(POLICY_EXPLAIN_SPEC, argv, 1);
  const positional = args.operands[0];
  const file = positional ?? DEFAULT_POLICY_FILE;
  let policy: ReturnType<typeof loadPolicy>;
  try {
    policy = loadPolicy(file);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    for (const line of err.lines) io.err.write(`${line}\n`);
    return 1;
  }
  const hardwareFile = args.values.get('hardware');
  const [raw, backend] = await Promise.all([
    hardwareFile ? readRecordedHardware(hardwareFile) : readRawHardware(),
    backendName(args.values.get('backend')),
  ]);
  const facts = computeFacts(raw, backend);
  const fingerprint = computeFingerprint(facts);
  const { rule, index, explanation } = matchRule(policy, facts);
  if (io.json) {
    const gate = rule
      ? { ...gateSettings(rule.gate), meaning: describeGate(gateSettings(rule.gate)), retries: retriesOf(rule) }
      : null;
    io.out(
      JSON.stringify({
        policy: { file: policy.file, name: policy.name, hash: policy.hash },
        hardware: hardwareFile ?? 'this machine',
        facts,
        fingerprint,
        fingerprintFields: fingerprintFields(facts),
        rule,
        index,
        gate,
        explanation,
      }),
    );
    return 0;
  }
  io.out(
    keyValues([
      ['policy', `${policy.file} ('${policy.name}', ${policy.rules.length} rules, sha256 ${policy.hash.slice(0, 12)})`],
      ['hardware', hardwareFile ?? 'this machine'],
      ...describeFacts(facts),
      ['fingerprint', fingerprint],
      ['rule', rule ? `${rule.name} (rules[${index}])` : 'none'],
      ['decision', rule ? describeDecision(rule) : 'no upgrades'],
      ...(rule
        ? ([
            ['gate', describeGate(gateSettings(rule.gate))],
            [
              'retries',
              `${retriesOf(rule)} (an automatic upgrade the gate rejects is grown again with another seed, inside the window)`,
            ],
          ] as [string, string][])
        : []),
    ]),
  );
  io.out('why:');
  for (const line of explanation) io.out(`  ${line}`);
  return 0;
}

/** `deepend policy check|explain`. */
export async function policyCommand(argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'check') return check(rest, io);
  if (sub === 'explain') return explain(rest, io);
  throw new UsageError(sub === undefined ? 'say check or explain' : `unknown subcommand '${sub}' (check or explain)`);
}
