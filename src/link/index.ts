/** The link stage: deterministic and probabilistic linkage over keyed encodings, no I/O. */
export { linkRecords } from './link-records.js';
export type { LinkHooks, LinkResult } from './link-result.js';
export { linkSettings, DEFAULT_LINK_SETTINGS, type LinkSettings } from './link-settings.js';
export type { LinkTable } from './clusters.js';
export type { LinkReport } from './link-report.js';
export { reportHtml } from './report-html.js';
