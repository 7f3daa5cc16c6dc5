import { runMain } from '@coalition/shared/service/main';
import { loadMemberConfig } from './config';
import { startMemberService } from './server';

await runMain('member', () => startMemberService(loadMemberConfig()));
