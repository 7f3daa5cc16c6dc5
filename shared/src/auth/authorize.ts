import { forbidden, unauthenticated } from '../errors';
import type { Role, Viewer } from './jwt';

export function requireViewer(viewer: Viewer | undefined): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

export function requireRole<R extends Role>(
  viewer: Viewer | undefined,
  ...roles: R[]
): Extract<Viewer, { role: R }> {
  const v = requireViewer(viewer);
  if (!(roles as Role[]).includes(v.role)) throw forbidden();
  return v as Extract<Viewer, { role: R }>;
}

/** The partner a viewer acts for, if any: partners and their terminals act for exactly one. */
export function viewerPartnerId(viewer: Viewer): string | undefined {
  return viewer.role === 'partner' || viewer.role === 'terminal' ? viewer.partnerId : undefined;
}

/** Operators see every partner; a partner or terminal sees only its own. */
export function canSeePartner(viewer: Viewer, partnerId: string): boolean {
  return viewer.role === 'operator' || viewerPartnerId(viewer) === partnerId;
}

/** Operators see every member; a member sees only themself. Partner access needs consent, checked by the caller. */
export function isMemberSelfOrOperator(viewer: Viewer, memberId: string): boolean {
  return viewer.role === 'operator' || (viewer.role === 'member' && viewer.memberId === memberId);
}
