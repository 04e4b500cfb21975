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
  type Approval, type AuditHead, type DraftManifestInput, type KeyIds, type ManifestFile, type ManifestJob,
  type ManifestProject, type ReleaseManifest,
} from './manifest.js';
export { takeRows, takeKind, chunksOf, type TakeKind } from './take.js';
export { valueCodes, type ValueCodes } from './value-codes.js';
