import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Memory of this Node process and of Postgres's processes, sampled from /proc (Linux) while some
 * work runs, keeping the peaks. For Postgres what counts is each process's private memory
 * (RssAnon: sorts, hash tables, tuple stores held in work_mem); shared buffers show up in every
 * backend's RssShmem and are bounded by shared_buffers, so they are reported apart.
 */

export interface MemoryPeaks {
  samples: number;
  /** This process's resident set, bytes. */
  nodeRssMax: number;
  nodeHeapUsedMax: number;
  /** The largest private memory of any one Postgres process (the backend doing the work), bytes. */
  postgresBackendAnonMax: number;
  /** Private memory of all Postgres processes together, bytes. */
  postgresAnonSumMax: number;
  /** The largest shared memory any one Postgres process had touched, bytes (≤ shared_buffers + overhead). */
  postgresShmemMax: number;
  /** The most bytes in Postgres's temporary files (sorts and hashes spilled to disk) at any one time. */
  tempBytesMax: number;
}

function statusKb(pid: number): Record<string, number> | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (match) out[match[1]!] = Number(match[2]);
  }
  return out;
}

function parentOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Bytes in the files of a directory (Postgres's pgsql_tmp: absent until something spills). */
function directoryBytes(dir: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    try {
      const stat = statSync(join(dir, entry));
      total += stat.isDirectory() ? directoryBytes(join(dir, entry)) : stat.size;
    } catch {
      // Deleted between the listing and the stat: it no longer counts.
    }
  }
  return total;
}

/** The postmaster's children (backends and background processes). */
function childrenOf(postmasterPid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => parentOf(pid) === postmasterPid);
}

/** Samples every `intervalMs` until stopped, temporary files in `tempDir` too; the process list is re-read each second (backends come and go). */
export function sampleMemory(
  postmasterPid: number,
  intervalMs: number,
  tempDir: string,
): { stop(): MemoryPeaks } {
  const peaks: MemoryPeaks = {
    samples: 0,
    nodeRssMax: 0,
    nodeHeapUsedMax: 0,
    postgresBackendAnonMax: 0,
    postgresAnonSumMax: 0,
    postgresShmemMax: 0,
    tempBytesMax: 0,
  };
  let pids = childrenOf(postmasterPid);
  let listedAt = Date.now();
  const sample = () => {
    if (Date.now() - listedAt > 1000) {
      pids = childrenOf(postmasterPid);
      listedAt = Date.now();
    }
    const usage = process.memoryUsage();
    peaks.nodeRssMax = Math.max(peaks.nodeRssMax, usage.rss);
    peaks.nodeHeapUsedMax = Math.max(peaks.nodeHeapUsedMax, usage.heapUsed);
    let sum = 0;
    for (const pid of [postmasterPid, ...pids]) {
      const kb = statusKb(pid);
      if (!kb) continue;
      const anon = (kb.RssAnon ?? 0) * 1024;
      sum += anon;
      if (pid !== postmasterPid)
        peaks.postgresBackendAnonMax = Math.max(peaks.postgresBackendAnonMax, anon);
      peaks.postgresShmemMax = Math.max(peaks.postgresShmemMax, (kb.RssShmem ?? 0) * 1024);
    }
    peaks.postgresAnonSumMax = Math.max(peaks.postgresAnonSumMax, sum);
    peaks.tempBytesMax = Math.max(peaks.tempBytesMax, directoryBytes(tempDir));
    peaks.samples += 1;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
