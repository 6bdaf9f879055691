/** The schema lints, in report order (security, then performance, then safety). */
import type { SchemaLint } from '../types.ts';
import { rlsDisabledInPublic } from './rls-disabled-in-public.ts';
import { rlsDisabled } from './rls-disabled.ts';
import { policyExistsRlsDisabled } from './policy-exists-rls-disabled.ts';
import { rlsEnabledNoPolicy } from './rls-enabled-no-policy.ts';
import { rlsNotForced } from './rls-not-forced.ts';
import { partitionWithoutRls } from './partition-without-rls.ts';
import { userMetadataInPolicy } from './user-metadata-in-policy.ts';
import { securityDefinerSearchPath } from './security-definer-search-path.ts';
import { securityDefinerExecutableByPublic } from './security-definer-executable-by-public.ts';
import { functionSearchPathMutable } from './function-search-path-mutable.ts';
import { securityDefinerView } from './security-definer-view.ts';
import { materializedViewInApi } from './materialized-view-in-api.ts';
import { tablePrivilegesToPublic } from './table-privileges-to-public.ts';
import { extensionInPublic } from './extension-in-public.ts';
import { unindexedForeignKeys } from './unindexed-foreign-keys.ts';
import { authFunctionNotWrapped } from './auth-function-not-wrapped.ts';
import { multiplePermissivePolicies } from './multiple-permissive-policies.ts';
import { duplicateIndex } from './duplicate-index.ts';
import { tableWithoutPrimaryKey } from './table-without-primary-key.ts';
import { timestampWithoutTimeZone } from './timestamp-without-time-zone.ts';

export const schemaLints: readonly SchemaLint[] = [
  rlsDisabledInPublic,
  rlsDisabled,
  policyExistsRlsDisabled,
  rlsEnabledNoPolicy,
  rlsNotForced,
  partitionWithoutRls,
  userMetadataInPolicy,
  securityDefinerSearchPath,
  securityDefinerExecutableByPublic,
  functionSearchPathMutable,
  securityDefinerView,
  materializedViewInApi,
  tablePrivilegesToPublic,
  extensionInPublic,
  unindexedForeignKeys,
  authFunctionNotWrapped,
  multiplePermissivePolicies,
  duplicateIndex,
  tableWithoutPrimaryKey,
  timestampWithoutTimeZone,
];
