import { runMain } from '@coalition/shared/service/main';

// The server is imported once tracing, if configured, has started: it must see `pg` load.
await runMain('member', async () => {
  const { loadMemberConfig } = await import('./config');
  const { startMemberService } = await import('./server');
  return startMemberService(loadMemberConfig());
});
