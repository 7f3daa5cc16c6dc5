import { runMain } from '@coalition/shared/service/main';
import { loadGatewayConfig } from './config';
import { startGateway } from './server';

await runMain('gateway', () => startGateway(loadGatewayConfig()));
