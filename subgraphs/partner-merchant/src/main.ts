import { runMain } from '@coalition/shared/service/main';

// The server is imported once tracing, if configured, has started: it must see `pg` load.
await runMain('partner-merchant', async () => {
  const { loadPartnerConfig } = await import('./config');
  const { startPartnerService } = await import('./server');
  return startPartnerService(loadPartnerConfig());
});
