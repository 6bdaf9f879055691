/**
 * The bench report (JSON, versioned) and the baseline comparison: a later run
 * fails when it loses an index a baseline query used, gains a seq scan, or
 * gets `slowdownFactor` times slower at p50 or p95.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';
import type { Scale } from '../config/index.ts';
import type { GenerateResult } from '../datagen/index.ts';
import type { FecLoadResult } from '../fec/index.ts';
import type { BenchGates, QueryBenchResult } from './run.ts';
import type { UuidComparison } from './uuid.ts';

export const benchReportVersion = 1;

export interface BenchEnvironment {
  readonly scale: Scale | null;
  readonly seed: number | null;
  readonly serverVersion: string;
  readonly server: string;
  readonly runs: number;
  readonly warmup: number;
  readonly plannerSettings: Readonly<Record<string, string>>;
  readonly startedAt: string;
}

export interface BaselineFinding {
  readonly queryId: string;
  readonly kind: 'lost_index' | 'new_seq_scan' | 'slowdown' | 'missing_query';
  readonly detail: string;
}

export interface BaselineComparison {
  readonly file: string;
  readonly findings: readonly BaselineFinding[];
  readonly passed: boolean;
}

export interface BenchReport {
  readonly version: typeof benchReportVersion;
  readonly environment: BenchEnvironment;
  readonly gates: BenchGates;
  readonly actors: { readonly heavyUserId: string | null; readonly adminUserId: string | null };
  readonly picked: Readonly<Record<string, string | null>>;
  readonly queries: readonly QueryBenchResult[];
  readonly generation: GenerateResult | null;
  readonly fecLoad: Omit<FecLoadResult, 'rejected'> & { readonly rejectedCount: number } | null;
  readonly uuidComparison: UuidComparison | null;
  readonly baseline: BaselineComparison | null;
  readonly passed: boolean;
  readonly durationMs: number;
}

/** The part of a saved report a baseline comparison needs (validated on read). */
const timingSchema = z.object({ p50: z.number(), p95: z.number(), max: z.number(), runs: z.number() }).nullable();
const baselineSchema = z.object({
  version: z.literal(benchReportVersion),
  queries: z.array(z.object({
    id: z.string(),
    planNodes: z.object({ top: z.string(), indexes: z.array(z.string()) }).passthrough(),
    seqScans: z.array(z.object({ relation: z.string(), rows: z.number() })),
    timings: timingSchema,
  }).passthrough()),
}).passthrough();
export interface BaselineQuery {
  readonly id: string;
  readonly planNodes: { readonly top: string; readonly indexes: readonly string[] };
  readonly seqScans: readonly { readonly relation: string; readonly rows: number }[];
  readonly timings: { readonly p50: number; readonly p95: number; readonly max: number; readonly runs: number } | null;
}
/** What a baseline comparison reads from a saved report (validated by readBaseline). */
export interface Baseline {
  readonly version: typeof benchReportVersion;
  readonly queries: readonly BaselineQuery[];
}

export function readBaseline(file: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaproofError({ code: 'baseline_invalid', file, detail: `cannot be read as JSON: ${(error as Error).message.split('\n')[0]}` });
  }
  const parsed = baselineSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SchemaproofError({
      code: 'baseline_invalid',
      file,
      detail: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    });
  }
  const data: Baseline = parsed.data;
  return data;
}

/**
 * Sub-millisecond timings are noisy: a slowdown is only reported when the
 * absolute difference is also at least this much (documented in the report).
 */
export const minimumSlowdownMs = 1;

export function compareToBaseline(
  current: readonly QueryBenchResult[],
  baseline: Baseline,
  gates: Pick<BenchGates, 'slowdownFactor' | 'timingsGate'>,
  file: string,
): BaselineComparison {
  const findings: BaselineFinding[] = [];
  const byId = new Map(current.map((query) => [query.id, query]));
  for (const before of baseline.queries) {
    const now = byId.get(before.id);
    if (!now) continue;
    for (const index of before.planNodes.indexes) {
      if (!now.planNodes.indexes.includes(index)) {
        findings.push({ queryId: before.id, kind: 'lost_index', detail: `${before.id} no longer uses index ${index} (baseline plan ${before.planNodes.top}; now ${now.planNodes.top} using ${now.planNodes.indexes.join(', ') || 'no index'})` });
      }
    }
    const scannedBefore = new Set(before.seqScans.map((scan) => scan.relation));
    for (const scan of now.seqScans) {
      if (!scannedBefore.has(scan.relation)) {
        findings.push({ queryId: before.id, kind: 'new_seq_scan', detail: `${before.id} now does a Seq Scan on ${scan.relation} (${scan.rows} rows) that the baseline plan did not` });
      }
    }
    if (gates.timingsGate && before.timings && now.timings) {
      for (const key of ['p50', 'p95'] as const) {
        const was = before.timings[key];
        const is = now.timings[key];
        if (is >= was * gates.slowdownFactor && is - was >= minimumSlowdownMs) {
          findings.push({ queryId: before.id, kind: 'slowdown', detail: `${before.id} ${key} ${is} ms is ${(is / Math.max(was, 0.001)).toFixed(1)}x the baseline ${was} ms (limit ${gates.slowdownFactor}x)` });
        }
      }
    }
  }
  return { file, findings, passed: findings.length === 0 };
}

/** Fold baseline findings into the per-query results (so the table shows them). */
export function withBaselineFindings(queries: readonly QueryBenchResult[], comparison: BaselineComparison): QueryBenchResult[] {
  return queries.map((query) => {
    const extra = comparison.findings.filter((finding) => finding.queryId === query.id).map((finding) => `baseline: ${finding.detail}`);
    return extra.length === 0 ? query : { ...query, failures: [...query.failures, ...extra], passed: false };
  });
}
