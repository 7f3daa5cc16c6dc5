import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU accounting from /proc (Linux): how much CPU each part of the system used during a phase, so a
 * phase's throughput can be read as "CPU ms per operation" per process, and so CPU used by anything
 * outside the benchmark (other work on the machine) shows up instead of silently skewing numbers.
 */

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  ppid: number;
  /** utime + stime, ms. */
  ownMs: number;
  /** cutime + cstime: children that exited and were waited for, ms. */
  childrenMs: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3] ?? 0);
  const toMs = (ticks: number) => (ticks * 1000) / ticksPerSecond;
  return {
    ppid: field(4),
    ownMs: toMs(field(14) + field(15)),
    childrenMs: toMs(field(16) + field(17)),
  };
}

type ProcessTable = Map<number, ProcStat>;

/** Every process's stat, read once per snapshot (a scan of /proc blocks the event loop: keep it to one). */
function scanProcesses(): ProcessTable {
  const table: ProcessTable = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

/** A process and all its descendants, living or reaped (Postgres: the postmaster and its backends). */
function treeCpuMs(rootPid: number, table: ProcessTable): number {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of table) {
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  let total = 0;
  const visit = (pid: number) => {
    const stat = table.get(pid);
    if (!stat) return;
    total += stat.ownMs + stat.childrenMs;
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return total;
}

/** Machine-wide busy and total CPU time, ms, from /proc/stat (all cores together). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    values;
  const toMs = (ticks: number) => (ticks * 1000) / ticksPerSecond;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: toMs(busy), total: toMs(busy + idle + iowait) };
}

/** Postgres's processes at one moment: each child's category and CPU, and what the postmaster has reaped. */
export interface PostgresProcesses {
  children: Record<number, { category: string; ms: number }>;
  /** The postmaster's own CPU plus that of every child it has reaped, ms. */
  postmasterMs: number;
}

/**
 * Postgres's processes by what they do: backends by the database they serve (from the process
 * title, "postgres: <user> <database> <client> <state>"), background processes by name
 * (checkpointer, walwriter, …).
 */
export function postgresProcesses(
  postmasterPid: number,
  table: ProcessTable = scanProcesses(),
): PostgresProcesses {
  const postmaster = table.get(postmasterPid);
  const children: PostgresProcesses['children'] = {};
  if (!postmaster) return { children, postmasterMs: 0 };
  for (const [pid, stat] of table) {
    if (stat.ppid !== postmasterPid) continue;
    const entry = String(pid);
    let title: string;
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    const backend = /^postgres: \S+ (\S+) \S+\(\d+\)/.exec(title);
    const category = backend
      ? `backends: ${backend[1]}`
      : `background: ${title
          .replace(/^postgres: /, '')
          .split(' ')
          .slice(0, 2)
          .join(' ')
          .trim()}`;
    children[Number(entry)] = { category, ms: stat.ownMs + stat.childrenMs };
  }
  return { children, postmasterMs: postmaster.ownMs + postmaster.childrenMs };
}

/**
 * Postgres's CPU between two moments, by category. A child that exited in between had its CPU
 * moved into the postmaster's reaped total: what it used before the first moment is taken back
 * out of that, so only the window's CPU remains (under "exited in the window + postmaster").
 */
export function postgresBetween(
  before: PostgresProcesses,
  after: PostgresProcesses,
): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (category: string, ms: number) => (out[category] = (out[category] ?? 0) + ms);
  let exitedBefore = 0;
  for (const [pid, child] of Object.entries(before.children)) {
    const now = after.children[Number(pid)];
    if (now) add(now.category, Math.max(0, now.ms - child.ms));
    else exitedBefore += child.ms;
  }
  for (const [pid, child] of Object.entries(after.children))
    if (!before.children[Number(pid)]) add(child.category, child.ms);
  add(
    'exited in the window + postmaster',
    Math.max(0, after.postmasterMs - before.postmasterMs - exitedBefore),
  );
  return out;
}

export interface CpuSnapshot {
  at: number;
  byPart: Record<string, number>;
  /** Postgres's processes (when a part is named 'postgres'). */
  postgres?: PostgresProcesses;
  machine: { busy: number; total: number };
}

/** The parts of the system whose CPU is accounted: name → root pid (its descendants included). */
export type Parts = Record<string, number>;

export function cpuSnapshot(parts: Parts): CpuSnapshot {
  const table = scanProcesses();
  const byPart: Record<string, number> = {};
  for (const [name, pid] of Object.entries(parts)) {
    // The benchmark's own process: only its own CPU, not pgbench's (pgbench is its own part).
    if (pid === process.pid) {
      const usage = process.cpuUsage();
      byPart[name] = (usage.user + usage.system) / 1000;
    } else byPart[name] = treeCpuMs(pid, table);
  }
  const postmaster = parts.postgres;
  return {
    at: performance.now(),
    byPart,
    postgres: postmaster === undefined ? undefined : postgresProcesses(postmaster, table),
    machine: machineCpuMs(),
  };
}

export interface CpuUsage {
  wallMs: number;
  /** CPU ms used by each part during the interval. */
  byPart: Record<string, number>;
  /** Postgres's share of byPart.postgres, by database and background process. */
  postgres: Record<string, number>;
  /** CPU ms used by everything else on the machine (other sessions, the kernel's own work). */
  other: number;
  /** Busy share of all cores, 0..1. */
  machineBusy: number;
  cores: number;
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, cores: number): CpuUsage {
  const byPart: Record<string, number> = {};
  let ours = 0;
  for (const [name, ms] of Object.entries(after.byPart)) {
    byPart[name] = Math.max(0, ms - (before.byPart[name] ?? 0));
    ours += byPart[name]!;
  }
  const postgres =
    before.postgres && after.postgres ? postgresBetween(before.postgres, after.postgres) : {};
  const busy = after.machine.busy - before.machine.busy;
  const total = after.machine.total - before.machine.total;
  return {
    wallMs: after.at - before.at,
    byPart,
    postgres,
    other: Math.max(0, busy - ours),
    machineBusy: total > 0 ? busy / total : 0,
    cores,
  };
}

/** Machine-wide CPU busy share over a short sample, to say how quiet the machine was before the run. */
export async function sampleMachineBusy(ms: number): Promise<number> {
  const a = machineCpuMs();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = machineCpuMs();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/** CPU of this process's children that exited and were waited for (pgbench), ms. */
export function reapedChildrenCpuMs(): number {
  return procStat(process.pid)?.childrenMs ?? 0;
}
