import { runMain } from '@coalition/shared/service/main';

// The server is imported once tracing, if configured, has started: it must see `pg` load.
await runMain('settlement', async () => {
  const { loadSettlementConfig } = await import('./config');
  const { startSettlementService } = await import('./server');
  return startSettlementService(loadSettlementConfig());
});
