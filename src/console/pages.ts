/** The pages of each role, in navigation order (the first is where sign-in lands). */
import { AUDIT_PAGES } from './operator-audit.js';
import { CALENDAR_PAGES } from './operator-calendar.js';
import { JOB_PAGES } from './operator-jobs.js';
import { PRODUCT_PAGES } from './operator-products.js';
import { REGISTRY_PAGES } from './operator-registry.js';
import { RELEASE_PAGES } from './operator-releases.js';
import { REVIEW_PAGES } from './operator-review.js';
import { TABLE_PAGES } from './operator-tables.js';
import type { Page, Principal } from './page.js';
import { RESEARCHER_PAGES } from './researcher-pages.js';
import { SUPPLIER_PAGES } from './supplier-pages.js';

export const PAGES: Readonly<Record<Principal['role'], readonly Page[]>> = {
  operator: [...CALENDAR_PAGES, ...REGISTRY_PAGES, ...JOB_PAGES, ...REVIEW_PAGES, ...RELEASE_PAGES, ...TABLE_PAGES, ...PRODUCT_PAGES, ...AUDIT_PAGES],
  supplier: SUPPLIER_PAGES,
  researcher: RESEARCHER_PAGES,
};
