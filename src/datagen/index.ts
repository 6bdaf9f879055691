/** Deterministic synthetic data at named scales (set-based SQL only). */
export { checkForeignKeys, generateData, type ForeignKeyOrphans, type GenerateOptions, type GenerateProgress, type GenerateResult, type GeneratedStep } from './generate.ts';
export { scaleTargets, type ScaleTargets } from './scales.ts';
