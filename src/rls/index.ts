/**
 * RLS property tests and the mutation self-test: public face of src/rls.
 */
export {
  accessSpecSchema,
  parseAccessSpec,
  loadAccessSpec,
  privilegeMustBeAbsent,
  roleOf,
  describeRule,
  isWhereRule,
  aliasWhere,
  unreviewedRelations,
  operations,
  simpleRules,
  deprecatedPredicates,
  defaultActorNames,
  type AccessSpec,
  type RelationSpec,
  type RelationHints,
  type ActorSpec,
  type Operation,
  type Rule,
  type SimpleRule,
  type WhereRule,
  type DeprecatedPredicate,
} from './spec.ts';
export { readCatalog, checkCoverage, type Catalog, type CatalogRelation, type CatalogFunction, type CoverageFinding, type CoverageFindingKind } from './catalog.ts';
export { worldActors, mergeClaims, type Person, type WorldActor, type ClaimVariety } from './actors.ts';
export { worldArbitrary, planWorld, type WorldShape, type LoadedWorld } from './world.ts';
export { learnRows, type RowModel, type TableRecipe, type TableModel } from './rows/index.ts';
export { propertyNames, type PropertyName, type Violation } from './cases.ts';
export {
  runRls,
  defaultRlsSeed,
  learnRowModel,
  renderCounterexample,
  type RlsOptions,
  type RlsResult,
  type RlsTally,
  type PropertyResult,
  type Counterexample,
  type MatrixCell,
  type WorldRowSummary,
} from './properties.ts';
export { mergeTallies, observedMatrixOf, exerciseFindingsOf, type TallySnapshot, type ExerciseTarget } from './exercise.ts';
export { renderSql, quoteLiteral } from './literal.ts';
export {
  generateMutants,
  loadMutantFiles,
  mutantCatalogue,
  mutationPassed,
  runMutation,
  selectMutants,
  focusReaders,
  findOwnerComparison,
  mutantStatuses,
  type Mutant,
  type MutantStatus,
  type MutantResult,
  type MutationResult,
  type MutationOptions,
} from './mutants.ts';
