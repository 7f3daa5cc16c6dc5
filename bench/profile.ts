import { readFileSync } from 'node:fs';

/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` and bench/cpu-profile-hook.mjs write) and says
 * where the CPU went: self time by package (a node_modules package, a file of ours, Node's own
 * internals, GC) and the hottest functions.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  wallMs: number;
  busyMs: number;
  byGroup: Share[];
  /** Self time of Node internals, V8 and natives charged to the package or file of ours that called them. */
  byOwner: Share[];
  byFunction: Share[];
  /** Inclusive time of the stages asked for, in their order. */
  stages: Share[];
}

const root = `${process.cwd()}/`;

/** Which bucket a frame's self time goes to. */
export function groupOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collection';
    if (functionName === '(program)') return 'V8/native: (program)';
    if (functionName === '(idle)') return '(idle)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  if (url.startsWith('node:')) {
    const path = url.slice('node:'.length).replace(/^internal\//, '');
    const area = path.split('/')[0] ?? path;
    return `node: ${area}`;
  }
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = file.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
  }
  return file.startsWith(root) ? file.slice(root.length) : file;
}

const functionLabel = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'} ${groupOf(frame)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;

/** Node's own code, V8 and natives: their time is charged to the nearest caller that is a package or ours. */
const isRuntime = (group: string) =>
  group.startsWith('node: ') || group.startsWith('native: ') || group.startsWith('V8');

/**
 * A stage whose inclusive CPU time is worth knowing (token checks, query planning, the database
 * driver): a sample counts for it when any frame on its stack matches. Stages may overlap. Only
 * synchronous work shows: time a stage waits on I/O is not CPU and is not in a profile.
 */
export interface Stage {
  name: string;
  /** Matches a frame by function name and/or package (groupOf) prefix. */
  functionName?: string;
  group?: string;
}

const matches = (stage: Stage, frame: CallFrame) =>
  (stage.functionName === undefined || frame.functionName === stage.functionName) &&
  (stage.group === undefined || groupOf(frame).startsWith(stage.group));

export function summariseProfile(
  path: string,
  stages: readonly Stage[] = [],
  top = 12,
): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i + 1] is the time from sample i to the next one: what sample i was running for.
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const id = profile.samples[i]!;
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  }
  const groups = new Map<string, number>();
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  const stageMs = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    const group = groupOf(node.callFrame);
    if (group === '(idle)') continue;
    busyMs += ms;
    groups.set(group, (groups.get(group) ?? 0) + ms);
    functions.set(
      functionLabel(node.callFrame),
      (functions.get(functionLabel(node.callFrame)) ?? 0) + ms,
    );
    let owner = group;
    for (
      let at: number | undefined = id;
      at !== undefined && isRuntime(owner);
      at = parentOf.get(at)
    ) {
      const frame = byId.get(at)?.callFrame;
      if (frame && frame.url && !isRuntime(groupOf(frame))) owner = groupOf(frame);
    }
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (!frame) continue;
      for (const stage of stages)
        if (!seen.has(stage.name) && matches(stage, frame)) seen.add(stage.name);
    }
    for (const name of seen) stageMs.set(name, (stageMs.get(name) ?? 0) + ms);
  }
  const shares = (map: Map<string, number>): Share[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs,
    byGroup: shares(groups),
    byOwner: shares(owners),
    byFunction: shares(functions),
    stages: stages.map((stage) => ({
      name: stage.name,
      ms: stageMs.get(stage.name) ?? 0,
      share: busyMs > 0 ? (stageMs.get(stage.name) ?? 0) / busyMs : 0,
    })),
  };
}
