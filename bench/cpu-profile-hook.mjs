// Preloaded into every service by the benchmark through NODE_OPTIONS="--import <this file>" (the
// environment spawnService passes on). `node --cpu-prof` is not allowed in NODE_OPTIONS, so this hook
// drives the same V8 sampling profiler through node:inspector instead, and only on demand: the first
// SIGUSR2 starts a profile, the second stops it and writes
// <BENCH_CPU_PROFILE_DIR>/<service>-<pid>.cpuprofile (the format of `node --cpu-prof` and Chrome
// DevTools). Until the signal arrives it costs nothing.
// Plain JavaScript on purpose: NODE_OPTIONS imports run before the command line's `--import tsx`.
import { Session } from 'node:inspector';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const entry = process.argv[1] ?? 'unknown';
  const service =
    /subgraphs\/([\w-]+)\//.exec(entry)?.[1] ?? (entry.includes('gateway') ? 'gateway' : 'node');
  const fail = (error) => process.stderr.write(`cpu profile (${service}): ${error}\n`);
  let session;
  process.on('SIGUSR2', () => {
    if (!session) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable', (error) => {
        if (error) return fail(error);
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
          session.post('Profiler.start', (e) => e && fail(e)),
        );
      });
      return;
    }
    const current = session;
    session = undefined;
    current.post('Profiler.stop', (error, result) => {
      current.disconnect();
      if (error) return fail(error);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${service}-${process.pid}.cpuprofile`);
      // Written aside, then renamed into place: the benchmark never reads half a file.
      writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
      renameSync(`${file}.tmp`, file);
    });
  });
}
