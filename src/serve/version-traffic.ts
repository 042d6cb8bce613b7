/** The answers one model version gave, for the watch after a swap to compare the new version with the old. */
export interface VersionTraffic {
  version: number;
  requests: number;
  /** Predict requests it failed to answer (5xx). */
  failures: number;
  instances: number;
  /** Instances answered with each class. */
  classCounts: number[];
  /** The request-path milliseconds of its last LATENCY_WINDOW answers. */
  latenciesMs: number[];
  labelled: number;
  correct: number;
}

const LATENCY_WINDOW = 2000;
/** The versions the ledger keeps: the serving one and the few before it. */
const VERSIONS_KEPT = 4;

/** What each recent version answered since it began to serve (counts), from the slot's predict and feedback traffic. */
export class TrafficLedger {
  private readonly versions = new Map<number, VersionTraffic>();

  of(version: number): VersionTraffic {
    let t = this.versions.get(version);
    if (!t) {
      t = {
        version,
        requests: 0,
        failures: 0,
        instances: 0,
        classCounts: [],
        latenciesMs: [],
        labelled: 0,
        correct: 0,
      };
      this.versions.set(version, t);
      if (this.versions.size > VERSIONS_KEPT) this.versions.delete(Math.min(...this.versions.keys()));
    }
    return t;
  }

  predicted(version: number, classes: readonly number[], ms: number): void {
    const t = this.of(version);
    t.requests++;
    t.instances += classes.length;
    for (const c of classes) t.classCounts[c] = (t.classCounts[c] ?? 0) + 1;
    t.latenciesMs.push(ms);
    if (t.latenciesMs.length > LATENCY_WINDOW) t.latenciesMs.splice(0, t.latenciesMs.length - LATENCY_WINDOW);
  }

  failed(version: number): void {
    this.of(version).failures++;
  }

  labelled(version: number, labels: readonly number[], classes: readonly number[]): void {
    const t = this.of(version);
    t.labelled += labels.length;
    t.correct += labels.filter((l, i) => l === classes[i]).length;
  }

  /** A copy of what `version` answered so far (its counts from now on do not change the copy). */
  snapshot(version: number): VersionTraffic {
    const t = this.of(version);
    return { ...t, classCounts: [...t.classCounts], latenciesMs: [...t.latenciesMs] };
  }
}
