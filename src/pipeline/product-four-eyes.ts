/**
 * Four eyes on what a recurrent product builds. Koppel builds the draft itself
 * (`system:koppel`), so the builder rule alone would let anyone approve it; the operator who
 * chose the settings is the one whose work the approval checks. So the approver may be none of:
 * the operator who registered the product, the one who last changed it, and the one who last
 * changed it before the run that built this release (a later change by someone else does not
 * clear them).
 */
import { KoppelError } from '../errors.js';
import type { Principal } from '../model.js';
import type { ReleaseRecord } from '../store/index.js';
import type { PipelineContext } from './context.js';

/** KOPPEL_ERR_AUTH_FOUR_EYES when the principal chose the settings of the product run that built the release. */
export function refuseProductOwners(ctx: PipelineContext, principal: Principal, release: ReleaseRecord): void {
  const run = ctx.store.products.runOf(release.id, release.job_id);
  if (run === null) return;
  const product = ctx.store.products.get(run.product_id);
  const registrant = product?.created_by ?? null;
  const changers = new Set([run.settings_by, product?.updated_by].filter((p) => p !== undefined && p !== registrant));
  let role: string | null = null;
  if (principal.id === registrant) role = 'registered';
  else if (changers.has(principal.id)) role = 'last changed';
  if (role === null) return;
  throw new KoppelError(
    'KOPPEL_ERR_AUTH_FOUR_EYES',
    `${principal.id} ${role} product ${run.product_id}, whose run built release ${release.id}; it must be approved by an operator who neither registered nor last changed the product`,
    { release: release.id, product: run.product_id },
  );
}
