import type { ErrorCode } from '../../util/deepend-error';
import { renderError } from '../../util/error-render';
import type { Config } from '../../config';
import type { Logger } from '../../util/log';
import type { RunnerPort } from '../../jobs/runner-port';
import type { GrowthMethodName } from '../../growth-methods';
import type { Store } from '../../store/types';
import type {
  CancelCommand,
  CommandMessage,
  DeepenCommand,
  ReplyMessage,
  RollbackCommand,
} from '../../contract/messages';
import { isCommandName, type CommandName } from '../../contract/topics';
import { decodeMessage } from '../../contract/validate';

/** Where an MQTT 5 request wants its answer. */
export interface ResponseRoute {
  responseTopic: string;
  correlationData?: Buffer;
}

export interface CommandContext {
  config: Config;
  store: Store;
  log: Logger;
  runner(): RunnerPort | undefined;
  rebirth(): void;
  reply(message: ReplyMessage, route?: ResponseRoute): void;
}

/** What is kept per processed command id and repeated to a duplicate. */
type Outcome = { ok: true; jobId?: string } | { ok: false; error: string; code: ErrorCode; jobId?: string };

/** The command id of a payload that failed validation, when it still has a usable one (so the sender can match the error). */
function commandIdOf(payload: Buffer): string | null {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    const id = value && typeof value === 'object' ? (value as { commandId?: unknown }).commandId : undefined;
    return typeof id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * cmd/deepen, cmd/cancel, cmd/rollback and cmd/rebirth. Safe by
 * construction: every payload is size-checked, parsed and validated before
 * anything runs; every outcome, error or not, is answered; a command id is
 * run once (processed_commands, and the job's own command id for the window
 * between creating a job and recording the answer); commands run one at a time.
 */
export class CommandHandler {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: CommandContext) {}

  handle(name: string, payload: Buffer, route?: ResponseRoute): Promise<void> {
    this.queue = this.queue
      .then(() => this.handleOne(name, payload, route))
      .catch((err: unknown) => {
        this.ctx.log.error('fleet command failed unexpectedly', {
          command: name,
          error: err instanceof Error ? err.message : String(err),
        });
      });
    return this.queue;
  }

  private async handleOne(name: string, payload: Buffer, route?: ResponseRoute): Promise<void> {
    const { log, config } = this.ctx;
    if (!isCommandName(name)) {
      const commandId = payload.length <= config.mqtt.maxPayloadBytes ? commandIdOf(payload) : null;
      return this.refuse(
        name,
        commandId,
        { ok: false, error: `unknown command '${name}': use deepen, cancel, rollback or rebirth`, code: 'not-found' },
        route,
      );
    }
    const decoded = decodeMessage(name, payload, config.mqtt.maxPayloadBytes);
    if (!decoded.ok) {
      const commandId = payload.length <= config.mqtt.maxPayloadBytes ? commandIdOf(payload) : null;
      return this.refuse(name, commandId, { ok: false, error: decoded.problem, code: 'usage' }, route);
    }
    const command = decoded.value as CommandMessage;
    const first = this.ctx.store.commandResult(command.commandId) as Outcome | undefined;
    if (first) {
      log.info('fleet command is a duplicate: answered with its first result', {
        command: name,
        commandId: command.commandId,
      });
      return this.answer(name, command.commandId, first, route, true);
    }
    const job = this.ctx.store.jobByCommand(command.commandId);
    if (job) return this.finish(name, command.commandId, { ok: true, jobId: job.id }, route, true);
    if (command.expiresAt !== undefined && Date.parse(command.expiresAt) <= Date.now()) {
      log.warn('fleet command expired: not run', {
        command: name,
        commandId: command.commandId,
        expiresAt: command.expiresAt,
      });
      return this.finish(
        name,
        command.commandId,
        { ok: false, error: `expired at ${command.expiresAt}`, code: 'timeout' },
        route,
      );
    }
    log.info('fleet command', { command: name, commandId: command.commandId });
    return this.finish(name, command.commandId, await this.run(name, command), route);
  }

  private async run(name: CommandName, command: CommandMessage): Promise<Outcome> {
    const runner = this.ctx.runner();
    if (name === 'rebirth') {
      this.ctx.rebirth();
      return { ok: true };
    }
    if (!runner) return { ok: false, error: 'the daemon is not ready for jobs yet', code: 'unavailable' };
    if (name === 'deepen') {
      const c = command as DeepenCommand;
      const answer = runner.request({
        toDepth: c.toDepth,
        method: c.method as GrowthMethodName | undefined,
        trigger: 'fleet',
        commandId: c.commandId,
      });
      if (answer.accepted) return { ok: true, jobId: answer.job.id };
      return { ok: false, error: answer.reason, code: 'conflict', ...(answer.job ? { jobId: answer.job.id } : {}) };
    }
    if (name === 'cancel') {
      const c = command as CancelCommand;
      const active = runner.active();
      if (active?.id !== c.jobId)
        return {
          ok: false,
          code: 'conflict',
          error: `job ${c.jobId} is not running${active ? ` (job ${active.id} is)` : ''}`,
          jobId: c.jobId,
        };
      return runner.cancel(c.jobId)
        ? { ok: true, jobId: c.jobId }
        : { ok: false, error: `job ${c.jobId} cannot be canceled now`, code: 'conflict', jobId: c.jobId };
    }
    const c = command as RollbackCommand;
    try {
      const job = await runner.rollback(c.version);
      return job.state === 'succeeded'
        ? { ok: true, jobId: job.id }
        : { ok: false, error: job.reason ?? `rollback ended ${job.state}`, code: 'conflict', jobId: job.id };
    } catch (err) {
      const shown = renderError(err);
      return { ok: false, error: shown.message, code: shown.code === 'internal' ? 'conflict' : shown.code };
    }
  }

  private refuse(name: string, commandId: string | null, outcome: Outcome, route?: ResponseRoute): void {
    this.ctx.log.warn('fleet command refused', { command: name, commandId, error: outcome.ok ? '' : outcome.error });
    this.answer(name, commandId, outcome, route, false);
  }

  private finish(
    name: CommandName,
    commandId: string,
    outcome: Outcome,
    route: ResponseRoute | undefined,
    duplicate = false,
  ): void {
    if (!duplicate) {
      try {
        this.ctx.store.rememberCommand(commandId, outcome);
      } catch (err) {
        // a full or failing disk: answered all the same; a duplicate of this command may run again
        this.ctx.log.warn('fleet command id not remembered', {
          command: name,
          commandId,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    if (!outcome.ok) this.ctx.log.warn('fleet command not done', { command: name, commandId, error: outcome.error });
    this.answer(name, commandId, outcome, route, duplicate);
  }

  private answer(
    name: string,
    commandId: string | null,
    outcome: Outcome,
    route: ResponseRoute | undefined,
    duplicate: boolean,
  ): void {
    const reply: ReplyMessage = { commandId, command: name.slice(0, 64), ok: outcome.ok, ts: new Date().toISOString() };
    if (outcome.jobId !== undefined) reply.jobId = outcome.jobId;
    if (!outcome.ok) {
      reply.error = outcome.error.slice(0, 1000);
      // an outcome remembered by an older daemon has no code
      if (outcome.code !== undefined) reply.code = outcome.code;
    }
    if (duplicate) reply.duplicate = true;
    this.ctx.reply(reply, route);
  }
}
