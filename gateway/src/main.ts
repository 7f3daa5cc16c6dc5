import { runMain } from '@coalition/shared/service/main';

// The server is imported once tracing, if configured, has started (shared/src/tracing/tracing.ts).
await runMain('gateway', async () => {
  const { loadGatewayConfig } = await import('./config');
  const { startGateway } = await import('./server');
  return startGateway(loadGatewayConfig());
});
