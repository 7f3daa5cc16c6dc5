import { runMain } from '@coalition/shared/service/main';
import { loadPartnerConfig } from './config';
import { startPartnerService } from './server';

await runMain('partner-merchant', () => startPartnerService(loadPartnerConfig()));
