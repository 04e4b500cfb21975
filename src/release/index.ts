/** The release stage: assembly, disclosure control, CSV rendering, manifest. */
export {
  assembleRelease, describeTables, PERSONS_TABLE,
  type AssembleInput, type AssembledRelease, type ReleaseSourceInput, type ReleaseTable, type PeriodRun,
} from './assemble.js';
export { enforceKAnonymity, type KAnonymityReport, type KAnonymityResult, type KeyVariableCodes } from './k-anonymity.js';
export { groupByCodes, type Grouping } from './group-codes.js';
export { renderCsv, renderCsvToBuffer, type CsvOptions, type CsvSource } from './csv-render.js';
export {
  buildDraftManifest, finaliseManifest, MANIFEST_VERSION,
  type Approval, type AuditHead, type DraftManifestInput, type KeyIds, type ManifestExposure, type ManifestFile, type ManifestJob,
  type ManifestProject, type ReleaseManifest, type ReleaseRules,
} from './manifest.js';
export { metadataRules, type ReleaseMetadataRules } from './metadata-keys.js';
export { KEY_COPY_LAMBDA, KEY_COPY_MIN_PERSONS } from './key-copies.js';
export { takeRows, takeKind, chunksOf, type TakeKind } from './take.js';
export { valueCodes, type ValueCodes } from './value-codes.js';
export { QUALITY_FILE, qualityHtml, qualityReport, type JobQualityInput, type QualityReport, type QualitySource } from './quality-report.js';
export type { LedgerEntry, LedgerReport } from './longitudinal.js';
export { writeParquetTables } from './parquet-out.js';
export { recheckTables, type RecheckFinding } from './recheck.js';
