import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * What the demo remembers between runs, in DEMO_STATE_DIR/demo-state.json (default .data): the
 * partners' API credentials (the secret is shown once, as a real POS keeps it in its
 * configuration), the members it enrolled by email (the API has no lookup by email), and when
 * each seed's month ended (so a replay sends byte-identical requests). Nothing here is
 * authoritative: every entry is checked against the network before it is used, and losing the
 * file only costs a slower rerun.
 */
const stateSchema = z.object({
  version: z.literal(1),
  credentials: z
    .record(z.string(), z.object({ clientId: z.string(), clientSecret: z.string() }))
    .default({}),
  members: z.record(z.string(), z.object({ id: z.string(), cardNumber: z.string() })).default({}),
  /** `<seed>@<network fingerprint>` → the end of that seed's month of activity (ISO). */
  anchors: z.record(z.string(), z.string()).default({}),
});
export type DemoState = z.infer<typeof stateSchema>;

const empty = (): DemoState => ({ version: 1, credentials: {}, members: {}, anchors: {} });

/** Each state file's text as last read or written. */
const written = new Map<string, string>();

export function loadState(path: string): DemoState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    written.set(path, `${JSON.stringify(empty(), null, 2)}\n`);
    return empty();
  }
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      written.set(path, `${JSON.stringify(parsed.data, null, 2)}\n`);
      return parsed.data;
    }
  } catch {
    // Unreadable JSON: start afresh, as below.
  }
  console.warn(`  (ignoring ${path}: not a demo state file this version understands)`);
  return empty();
}

/**
 * Written whole to a temporary file and renamed over the old one, so a crash never leaves half a
 * file; not written at all when nothing changed since it was loaded or last saved.
 */
export function saveState(path: string, state: DemoState): void {
  const text = `${JSON.stringify(state, null, 2)}\n`;
  if (written.get(path) === text) return;
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, path);
  written.set(path, text);
}
