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
  actorKinds,
  operations,
  simpleRules,
  customPredicates,
  type AccessSpec,
  type RelationSpec,
  type ActorKind,
  type Operation,
  type Rule,
  type SimpleRule,
  type CustomPredicate,
} from './spec.ts';
export { readCatalog, checkCoverage, type Catalog, type CatalogRelation, type CatalogFunction, type CoverageFinding, type CoverageFindingKind } from './catalog.ts';
export { rowFactories, type RowFactory } from './factories.ts';
export { worldArbitrary, planWorld, type WorldShape, type LoadedWorld, type Person } from './world.ts';
export { propertyNames, type PropertyName, type Violation } from './cases.ts';
export {
  runRls,
  renderCounterexample,
  type RlsOptions,
  type RlsResult,
  type PropertyResult,
  type Counterexample,
  type MatrixCell,
  type WorldRowSummary,
} from './properties.ts';
export { renderSql, quoteLiteral } from './literal.ts';
export { generateMutants, loadMutantFiles, mutantCatalogue, runMutation, type Mutant, type MutantResult, type MutationResult, type MutationOptions } from './mutants.ts';
