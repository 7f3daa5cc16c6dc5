import { runMain } from '@coalition/shared/service/main';
import { loadSettlementConfig } from './config';
import { startSettlementService } from './server';

await runMain('settlement', () => startSettlementService(loadSettlementConfig()));
