/* `deepend fleet deepen DEVICE --to-depth N`: one device's upgrade over MQTT, followed to its end. */
import { parseArgs, UsageError } from '../../cli-kit/args';
import type { CommandIO } from '../../cli-kit/output';
import type { GrowthMethodName } from '../../growth-methods';
import type { JobMessage, ReplyMessage } from '../../contract/messages';
import { deviceTopics } from '../../contract/topics';
import { responseTopicFor } from './connection';
import { publishDeepen, REPLY_WAIT_MS, replyTopics } from './deepen-command';
import { accuracyText, orDash } from './format';
import { methodFlag, secondsFlag, toDepthFlag } from './inputs';
import { JobProgressLine } from './job-progress';
import { FleetSession } from './session';
import { checkDeviceId, resolveTarget } from './target';
import { unlessAborted, waitUntil } from './wait';
import { warner } from './warn';
import { DEEPEN_FLEET_SPEC } from './specs';

const DEFAULT_TIMEOUT_S = 1800;

const TERMINAL: readonly string[] = ['succeeded', 'rejected', 'failed', 'canceled'];

export function jobSummary(device: string, job: JobMessage): string {
  const depth = `depth ${job.depthBefore} -> ${orDash(job.depthAfter)}`;
  const accuracy = `accuracy ${accuracyText(job.accuracyBefore)} -> ${accuracyText(job.accuracyAfter)}`;
  return `${device} job ${job.jobId} ${job.status}: ${depth}, ${accuracy}${job.reason ? ` (${job.reason})` : ''}`;
}

interface DeepenRequest {
  device: string;
  toDepth: number;
  method: GrowthMethodName | null;
  timeoutMs: number;
}

export async function fleetDeepen(argv: string[], io: CommandIO): Promise<number> {
  const args = parseArgs(DEEPEN_FLEET_SPEC, argv, 1);
  const positional = args.operands[0];
  if (positional === undefined) throw new UsageError('name the device: deepend fleet deepen DEVICE --to-depth N');
  const request: DeepenRequest = {
    device: checkDeviceId(positional),
    toDepth: toDepthFlag(args),
    method: methodFlag(args),
    timeoutMs: secondsFlag(args, 'timeout', DEFAULT_TIMEOUT_S) * 1000,
  };
  const session = await FleetSession.open(resolveTarget(args), warner(io));
  try {
    return await deepen(session, request, io);
  } finally {
    await session.close();
  }
}

async function deepen(session: FleetSession, req: DeepenRequest, io: CommandIO): Promise<number> {
  const topics = deviceTopics(session.fleet, req.device);
  const responseTopic = responseTopicFor(session.conn.clientId);
  const replies = new Map<string, ReplyMessage>();
  session.onEvent((e) => {
    if (e.kind === 'reply' && e.device === req.device && e.value.commandId !== null)
      replies.set(e.value.commandId, e.value);
  });
  session.onRaw((topic, payload) => {
    if (topic !== responseTopic) return;
    const reply = session.inbox.decodeReply(topic, payload);
    if (reply?.commandId) replies.set(reply.commandId, reply);
  });
  // Replies and job messages may come before the SUBACK of a later subscription: everything is subscribed first.
  await session.subscribe([topics.birth, topics.state, topics.jobs, ...replyTopics(session, req.device)]);
  await session.settle(io.signal);
  if (!session.view.knows(req.device))
    throw new Error(
      `device '${req.device}' is not known in fleet ${session.fleet}: no retained birth on ${topics.birth}`,
    );

  const sent = await unlessAborted(
    publishDeepen(session, req.device, { toDepth: req.toDepth, method: req.method }),
    io.signal,
  );
  const commandId = sent.done ? sent.value : '';
  const answered = sent.done
    ? await waitUntil(session, () => replies.get(commandId), { timeoutMs: REPLY_WAIT_MS, signal: io.signal })
    : sent;
  if (!answered.done) {
    if (answered.why === 'aborted') {
      io.err.write(
        `deepend fleet: stopped waiting for ${req.device}'s answer; the command expires at its expiresAt if not run\n`,
      );
      return 130;
    }
    const state = session.view.states.get(req.device)?.state ?? 'unknown';
    throw new Error(
      `no answer from ${req.device} within ${REPLY_WAIT_MS / 1000} s (its state: ${state}); the command expires unanswered`,
    );
  }
  const reply = answered.value;
  if (!reply.ok || !reply.jobId) throw new Error(`${req.device} refused: ${reply.error ?? 'no job id in its answer'}`);
  return follow(session, req, reply.jobId, commandId, io);
}

async function follow(
  session: FleetSession,
  req: DeepenRequest,
  jobId: string,
  commandId: string,
  io: CommandIO,
): Promise<number> {
  const progress = new JobProgressLine(io.err, io.json);
  progress.note(`${req.device}: job ${jobId} accepted`);
  const jobOf = () => session.view.jobs.get(req.device)?.get(jobId);
  const offEvent = session.onEvent((e, changed) => {
    if (!changed) return;
    if (e.kind === 'job' && e.jobId === jobId) progress.update(e.value);
    if (e.kind === 'state' && e.device === req.device && (e.value.state === 'lost' || e.value.state === 'offline'))
      progress.note(`${req.device} is ${e.value.state}: waiting for it to come back`);
  });
  session.conn.onLinkChange((up) =>
    progress.note(
      up ? `reconnected to ${session.conn.broker}` : `lost the broker ${session.conn.broker}: reconnecting`,
    ),
  );
  const known = jobOf();
  if (known) progress.update(known);
  const ended = await waitUntil(
    session,
    () => {
      const job = jobOf();
      return job && TERMINAL.includes(job.status) ? job : undefined;
    },
    { timeoutMs: req.timeoutMs, signal: io.signal },
  );
  offEvent();
  progress.finish();
  if (!ended.done) {
    const status = jobOf()?.status ?? 'queued';
    if (ended.why === 'aborted') {
      io.err.write(`deepend fleet: stopped watching; job ${jobId} goes on on ${req.device} (deepend fleet watch)\n`);
      return 130;
    }
    throw new Error(
      `job ${jobId} on ${req.device} is still ${status} after ${Math.round(req.timeoutMs / 1000)} s; it goes on on the device (deepend fleet watch)`,
    );
  }
  const job = ended.value;
  io.out(io.json ? JSON.stringify({ device: req.device, commandId, job }) : jobSummary(req.device, job));
  return job.status === 'succeeded' ? 0 : 1;
}
