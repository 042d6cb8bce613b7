import { MAX_DEPTH } from '../limits';
import { METHOD_CHOICES, MethodChoice } from '../growth-methods';
import { DeependError, HttpError } from '../util/deepend-error';
import { renderError } from '../util/error-render';
import { ControlHandler, ControlRequest } from './control-server';
import { memoryReading } from './memory-reading';
import { daemonStatus, DaemonParts, jobView, versionView } from './status';
import { registerPreparedImport } from './user-model';
import { discardVersion } from '../store/model-dirs';
import { lineageOf } from '../store/model-verify';
import type { ModelVersionRow } from '../store/types';

/*
 * The control API (HTTP + JSON on $home/control.sock), what the CLI calls:
 *   GET  /status              device, backend, model, rule, active job and its progress
 *   GET  /jobs?limit=N        newest first
 *   GET  /jobs/ID             one job with its transitions and progress
 *   GET  /models              versions of the served model name
 *   POST /deepen  {toDepth?, method?}   a manual upgrade: 202, or 409 with the reason
 *   POST /rollback {version?}           swaps back; answers when the rollback job ended
 *   POST /models/import {dir}           registers a model `deepend models import` prepared under the home's
 *                                       candidates and swaps to it; answers when that swap ended
 *   POST /cancel {jobId?}               cancels that job (default: the active one); 409 when nothing to cancel
 *   POST /detect              re-detect compute now (and queue an automatic upgrade if due)
 *   POST /memory              memory, tensors and open fds after a full GC (node --expose-gc), for leak hunting
 */

/** What was asked cannot be done now: answered 409, keeping a DeependError's code and hint (a bad import stays `data`). */
function refusal(err: unknown): DeependError {
  const shown = renderError(err);
  return new DeependError(shown.code === 'internal' ? 'conflict' : shown.code, shown.message, {
    httpStatus: 409,
    ...(shown.hint === undefined ? {} : { hint: shown.hint }),
  });
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new HttpError(503, `the daemon is still starting (${what} not ready)`);
  return value;
}

function optionalInt(body: Record<string, unknown>, key: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new HttpError(
      400,
      `${key} must be a whole number ${max === Number.MAX_SAFE_INTEGER ? '>= 1' : `from 1 to ${max}`}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function optionalMethod(body: Record<string, unknown>): MethodChoice | undefined {
  const v = body.method;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !(METHOD_CHOICES as readonly string[]).includes(v))
    throw new HttpError(400, `method must be one of ${METHOD_CHOICES.join(', ')}, got ${JSON.stringify(v)}`);
  return v as MethodChoice;
}

function limitOf(req: ControlRequest): number {
  const raw = req.query.get('limit');
  const n = raw === null ? 20 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new HttpError(400, `limit must be a whole number from 1 to 1000, got ${raw}`);
  return n;
}

function allow(req: ControlRequest, method: 'GET' | 'POST'): void {
  if (req.method !== method) throw new HttpError(405, `${req.method} ${req.path}: use ${method}`);
}

export function controlHandler(parts: DaemonParts): ControlHandler {
  return async (req) => {
    const { path } = req;
    if (path === '/status') {
      allow(req, 'GET');
      return { body: daemonStatus(parts) };
    }
    if (path === '/jobs') {
      allow(req, 'GET');
      const store = need(parts.store, 'store');
      return { body: { jobs: store.jobs(limitOf(req)).map((j) => jobView(parts, j)) } };
    }
    if (path.startsWith('/jobs/')) {
      allow(req, 'GET');
      const store = need(parts.store, 'store');
      const id = decodeURIComponent(path.slice('/jobs/'.length));
      const job = store.job(id);
      if (!job) throw new HttpError(404, `no job ${id}`);
      return { body: { job: jobView(parts, job), transitions: store.transitions(id) } };
    }
    if (path === '/models') {
      allow(req, 'GET');
      const store = need(parts.store, 'store');
      const name = parts.config.model.name;
      const serving = parts.slot?.current()?.version;
      return {
        body: {
          name,
          serving: serving ?? null,
          versions: store.modelVersions(name).map((v) => ({ ...versionView(v, serving), origin: rootFormat(v) })),
        },
      };
    }
    if (path === '/deepen') {
      allow(req, 'POST');
      const runner = need(parts.runner, 'job runner');
      const answer = runner.request({
        trigger: 'manual',
        toDepth: optionalInt(req.body, 'toDepth', MAX_DEPTH),
        method: optionalMethod(req.body),
      });
      if (!answer.accepted)
        throw new HttpError(409, answer.reason, {}, answer.job ? { job: jobView(parts, answer.job) } : {});
      return { status: 202, body: { job: jobView(parts, answer.job) } };
    }
    if (path === '/rollback') {
      allow(req, 'POST');
      const runner = need(parts.runner, 'job runner');
      const version = optionalInt(req.body, 'version');
      try {
        const job = await runner.rollback(version);
        return { body: { job: jobView(parts, job) } };
      } catch (err) {
        throw refusal(err);
      }
    }
    if (path === '/models/import') {
      allow(req, 'POST');
      const runner = need(parts.runner, 'job runner');
      const dir = req.body.dir;
      if (typeof dir !== 'string') throw new HttpError(400, `dir must be a string, got ${JSON.stringify(dir)}`);
      const busy = runner.active();
      if (busy)
        throw new HttpError(409, `job ${busy.id} is ${busy.state}: one job at a time; import again when it has ended`);
      const store = need(parts.store, 'store');
      let version: number | undefined;
      try {
        version = registerPreparedImport(parts.config, store, dir);
        const job = await runner.rollback(version, 'import');
        return { body: { version, job: jobView(parts, job) } };
      } catch (err) {
        // a version nothing swapped to is not left behind
        if (version !== undefined && !store.modelVersion(parts.config.model.name, version)?.committed)
          discardVersion(parts.config.home, parts.config.model.name, version, store);
        throw refusal(err);
      }
    }
    if (path === '/cancel') {
      allow(req, 'POST');
      const runner = need(parts.runner, 'job runner');
      const store = need(parts.store, 'store');
      const given = req.body.jobId;
      if (given !== undefined && typeof given !== 'string')
        throw new HttpError(400, `jobId must be a string, got ${JSON.stringify(given)}`);
      const jobId = given ?? runner.active()?.id;
      if (jobId === undefined) throw new HttpError(409, 'no job is running or queued');
      if (!store.job(jobId)) throw new HttpError(404, `no job ${jobId}`);
      if (!runner.cancel(jobId))
        throw new HttpError(409, `job ${jobId} is not running or queued (state ${store.job(jobId)!.state})`);
      await runner.idle();
      return { body: { job: jobView(parts, store.job(jobId)!) } };
    }
    if (path === '/memory') {
      allow(req, 'POST');
      return { body: memoryReading() };
    }
    if (path === '/detect') {
      allow(req, 'POST');
      const watcher = need(parts.watcher, 'compute watcher');
      const outcome = await watcher.trigger('control API');
      const d = outcome.detection;
      return {
        body: {
          fingerprint: d.fingerprint,
          previous: d.previous ?? null,
          changed: d.changed,
          rule: d.match.rule?.name ?? null,
          explanation: d.match.explanation,
          decision: outcome.decision,
          job: outcome.job ? jobView(parts, outcome.job) : null,
          refused: outcome.refused ?? null,
        },
      };
    }
    throw new HttpError(404, `no such control endpoint: ${req.method} ${path}`);
  };
}

/** For a version that starts a lineage (no parent): the format it came in (deepend, keras-h5, ...); null otherwise or when its meta is unreadable. */
function rootFormat(v: ModelVersionRow): string | null {
  if (v.parent !== null) return null;
  try {
    return lineageOf(v.dir).format;
  } catch {
    return null;
  }
}
