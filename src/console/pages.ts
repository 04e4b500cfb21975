/** The pages of each role, in navigation order (the first is where sign-in lands). */
import { AUDIT_PAGES } from './operator-audit.js';
import { CALENDAR_PAGES } from './operator-calendar.js';
import { JOB_PAGES } from './operator-jobs.js';
import { REGISTRY_PAGES } from './operator-registry.js';
import { RELEASE_PAGES } from './operator-releases.js';
import type { Page, Principal } from './page.js';
import { RESEARCHER_PAGES } from './researcher-pages.js';
import { SUPPLIER_PAGES } from './supplier-pages.js';

export const PAGES: Readonly<Record<Principal['role'], readonly Page[]>> = {
  operator: [...CALENDAR_PAGES, ...REGISTRY_PAGES, ...JOB_PAGES, ...RELEASE_PAGES, ...AUDIT_PAGES],
  supplier: SUPPLIER_PAGES,
  researcher: RESEARCHER_PAGES,
};
