/** The link stage: deterministic and probabilistic linkage over keyed encodings, no I/O. */
export { linkRecords } from './link-records.js';
export type { LinkHooks, LinkResult } from './link-result.js';
export { linkSettings, DEFAULT_LINK_SETTINGS, type LinkSettings } from './link-settings.js';
export type { LinkTable } from './clusters.js';
export { LINK_DETERMINISTIC, LINK_PROBABILISTIC, LINK_UNLINKED, LINK_METHOD_NAMES } from './link-method.js';
export type { LinkReport } from './link-report.js';
export { reportHtml } from './report-html.js';
