import { readFileSync } from 'node:fs';

/** One mapping of /proc/PID/smaps: where it is, what backs it and how much of it is resident. */
export interface Mapping {
  start: string;
  end: string;
  sizeKB: number;
  perms: string;
  name: string;
  rssKB: number;
  anonKB: number;
}

/** The mappings of a process (Linux), or [] where /proc/PID/smaps cannot be read. */
export function readSmaps(pid: number): Mapping[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = {
        start: head[1],
        end: head[2],
        sizeKB: Number((BigInt(`0x${head[2]}`) - BigInt(`0x${head[1]}`)) / 1024n),
        perms: head[3],
        name: head[4],
        rssKB: 0,
        anonKB: 0,
      };
      out.push(cur);
      continue;
    }
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field && cur) {
      if (field[1] === 'Rss') cur.rssKB = Number(field[2]);
      else cur.anonKB = Number(field[2]);
    }
  }
  return out;
}

/**
 * Resident memory by kind: the brk heap (glibc's main arena), the wasm linear
 * memory (its accessible part, an anonymous mapping followed right away by the
 * inaccessible rest of a reservation of gigabytes), other anonymous mappings
 * (V8's heap and code pages, glibc's thread arenas and large mmap'ed blocks,
 * thread stacks) and file-backed mappings (code, sqlite's shm).
 */
export function residentByKind(maps: Mapping[]): Record<'brkHeapMB' | 'wasmMB' | 'otherAnonMB' | 'fileMB', number> {
  const r = { brkHeapMB: 0, wasmMB: 0, otherAnonMB: 0, fileMB: 0 };
  const GB_KB = 1024 * 1024;
  for (const [i, m] of maps.entries()) {
    const mb = m.rssKB / 1024;
    const next = maps[i + 1];
    const wasm =
      m.name === '' &&
      (m.sizeKB >= 4 * GB_KB ||
        (next !== undefined &&
          next.start === m.end &&
          next.name === '' &&
          next.perms.startsWith('---') &&
          next.sizeKB >= 4 * GB_KB));
    if (m.name === '[heap]') r.brkHeapMB += mb;
    else if (wasm) r.wasmMB += mb;
    else if (m.name === '' || m.name.startsWith('[')) r.otherAnonMB += mb;
    else r.fileMB += mb;
  }
  return r;
}

/** The mappings whose resident size changed most between two readings (by start address). */
export function grownMappings(before: Mapping[], after: Mapping[], top: number): string[] {
  const was = new Map(before.map((m) => [m.start, m]));
  const rows = after
    .map((m) => ({ m, delta: m.rssKB - (was.get(m.start)?.rssKB ?? 0), isNew: !was.has(m.start) }))
    .filter((r) => r.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, top);
  const gone = before.filter((m) => !after.some((a) => a.start === m.start)).reduce((s, m) => s + m.rssKB, 0);
  return [
    ...rows.map(
      (r) =>
        `${r.delta > 0 ? '+' : ''}${r.delta} kB  ${r.m.start} ${r.m.perms} size ${r.m.sizeKB} kB rss ${r.m.rssKB} kB ${r.m.name || '(anon)'}${r.isNew ? ' (new)' : ''}`,
    ),
    `mappings gone since: ${before.length - after.filter((m) => was.has(m.start)).length} holding ${gone} kB; new: ${after.filter((m) => !was.has(m.start)).length}`,
  ];
}
