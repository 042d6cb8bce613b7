import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { GrowReport } from '../grow/report';
import type { ModelMeta } from '../model/meta';
import { verifyModelDir } from '../store/model-dirs';
import { decodeBits, discordantCounts } from '../stats/bitset';
import type { PairedCounts } from '../stats/paired-gain';

export const REPORT_JSON = 'report.json';

/** What the runner needs of a saved candidate: the gate's figures and what the swap registers. */
export interface CandidateSummary {
  dir: string;
  method: string;
  depthBefore: number;
  depthAfter: number;
  accuracyBefore: number;
  accuracyAfter: number;
  lossAfter: number;
  seconds: number;
  backend: string;
  weightsSha256: string;
  splitFingerprint: string;
  /** Discordant held-out samples of parent and candidate, from report.json's bitsets; absent when the report has none. */
  pairs?: PairedCounts;
}

function pairsOf(report: GrowReport): PairedCounts | undefined {
  const p = report.heldOutPairs as GrowReport['heldOutPairs'] | undefined;
  if (!p) return undefined;
  try {
    return discordantCounts(decodeBits(p.parentCorrect, p.n), decodeBits(p.candidateCorrect, p.n));
  } catch {
    return undefined;
  }
}

export function summarise(dir: string, report: GrowReport, meta: ModelMeta): CandidateSummary {
  return {
    dir,
    method: report.method,
    depthBefore: report.depthBefore,
    depthAfter: report.depthAfter,
    accuracyBefore: report.accuracyBefore,
    accuracyAfter: report.accuracyAfter,
    lossAfter: report.lossAfter,
    seconds: report.seconds,
    backend: report.backend,
    weightsSha256: meta.weightsSha256,
    splitFingerprint: report.split.fingerprint,
    pairs: pairsOf(report),
  };
}

/** Re-reads a candidate left by an interrupted run; undefined unless its files verify and its report is readable. */
export function readCandidate(dir: string): CandidateSummary | undefined {
  try {
    const meta = verifyModelDir(dir);
    const report = JSON.parse(readFileSync(join(dir, REPORT_JSON), 'utf8')) as GrowReport;
    const summary = summarise(dir, report, meta);
    return Number.isFinite(summary.accuracyAfter) && Number.isFinite(summary.accuracyBefore) ? summary : undefined;
  } catch {
    return undefined;
  }
}

/** Deletes a candidate and the hidden `.JOBID.partial-*` siblings an interrupted atomic save leaves. */
export function removeCandidateFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const parent = dirname(dir);
  if (!existsSync(parent)) return;
  const prefix = `.${basename(dir)}.partial-`;
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(prefix)) rmSync(join(parent, entry), { recursive: true, force: true });
  }
}
