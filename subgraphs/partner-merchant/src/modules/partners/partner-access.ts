import type { Viewer } from '@coalition/shared/auth/jwt';
import { forbidden } from '@coalition/shared/errors';

/**
 * Who configures a partner and reads its configuration (status history, credentials, earn
 * rules): operators, and a partner token acting for that partner. Not its terminals: they only
 * run the till.
 */
export const mayConfigurePartner = (viewer: Viewer, partnerId: string): boolean =>
  viewer.role === 'operator' || (viewer.role === 'partner' && viewer.partnerId === partnerId);

export function requireConfigurer(viewer: Viewer, partnerId: string): void {
  if (!mayConfigurePartner(viewer, partnerId))
    throw forbidden('Only operators and the partner itself may do this.');
}
