/**
 * Bench data: the project's declarative data recipe run set-based and
 * deterministically from a seed (the recipe engine).
 */
export { loadRecipe, parseRecipe, keyPath, durationSeconds, type Recipe, type Step, type TableStep, type SqlStep, type ValueSpec, type ParentSpec } from './recipe.ts';
export { generateData, anchorFor, type GenerateOptions, type GeneratedStep, type RecipeRun } from './generate.ts';
export { checkForeignKeys, type ForeignKeyOrphans } from './catalog.ts';
export { scratchSchema } from './compile.ts';
/** The bench report's `generation` field. */
export type { RecipeRun as GenerateResult } from './generate.ts';
