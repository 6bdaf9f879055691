/** Rows from the catalog: models, learned recipes, and the row builder. */
export { readTableModels, readTableClosure, columnOf, type TableModel, type ColumnModel, type TypeModel, type CheckModel, type ForeignKeyModel } from './model.ts';
export { learnRows, keyColumnsOf, peopleInsert, renderRows, type RowModel, type LearnOptions, type PersonRow } from './learn.ts';
export {
  buildRow,
  buildRowRetrying,
  chooseBody,
  newContext,
  insertSql,
  mayCollide,
  setSql,
  valueSql,
  literal,
  keyTextOf,
  keyExpression,
  keyCondition,
  keyText,
  situationKey,
  ownerKindOf,
  type SqlValue,
  type Body,
  type TableRecipe,
  type PlannedRow,
  type BuildContext,
  type BuildRequest,
  type InsertOptions,
} from './build.ts';
export { Pools, type SlotKind } from './pools.ts';
