/**
 * The bench report (JSON, versioned) and the baseline comparison: a later run
 * fails when it loses an index a baseline query used, gains a seq scan, or
 * does `workFactor` times the work (buffers + function calls) — all of which
 * are the same on an idle and a busy machine. Getting `slowdownFactor` times
 * slower at p50 or p95 fails only when the timing gates are on.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';
import type { Scale } from '../config/index.ts';
import type { GenerateResult } from '../datagen/index.ts';
import type { FecLoadResult } from '../fec/index.ts';
import type { BenchGates, QueryBenchResult } from './run.ts';
import type { ResolvedActor } from './prepare.ts';
import type { UuidComparison } from './uuid.ts';

export const benchReportVersion = 2;

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
  readonly kind: 'lost_index' | 'new_seq_scan' | 'more_work' | 'slowdown' | 'missing_query';
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
  /** The catalogue file the queries came from. */
  readonly catalogue: string;
  /** Each actor as it ran: role and resolved claims. */
  readonly actors: Readonly<Record<string, ResolvedActor>>;
  readonly bypassActor: string;
  /** The catalogue's named values as resolved against the data. */
  readonly values: Readonly<Record<string, unknown>>;
  readonly functionCallsCounted: boolean;
  readonly queries: readonly QueryBenchResult[];
  readonly generation: GenerateResult | null;
  readonly fecLoad: (Omit<FecLoadResult, 'rejected'> & { readonly rejectedCount: number }) | null;
  readonly uuidComparison: UuidComparison | null;
  readonly baseline: BaselineComparison | null;
  readonly passed: boolean;
  readonly durationMs: number;
}

/** The part of a saved report a baseline comparison needs (validated on read). */
const timingSchema = z.object({ p50: z.number(), p95: z.number(), max: z.number(), runs: z.number() }).nullable();
const workSchema = z.object({ buffers: z.number(), rows: z.number(), functionCalls: z.number().nullable(), filterCalls: z.number(), total: z.number() }).nullable();
const baselineSchema = z
  .object({
    version: z.literal(benchReportVersion, { message: `a bench report of version ${benchReportVersion} (work measured as buffers and function calls); save a new baseline with this version` }),
    queries: z.array(
      z
        .object({
          id: z.string(),
          planNodes: z.object({ top: z.string(), indexes: z.array(z.string()) }).passthrough(),
          seqScans: z.array(z.object({ relation: z.string(), rows: z.number() })),
          work: workSchema,
          timings: timingSchema,
        })
        .passthrough(),
    ),
  })
  .passthrough();
export interface BaselineWork {
  readonly buffers: number;
  readonly rows: number;
  readonly functionCalls: number | null;
  readonly filterCalls: number;
  readonly total: number;
}
export interface BaselineQuery {
  readonly id: string;
  readonly planNodes: { readonly top: string; readonly indexes: readonly string[] };
  readonly seqScans: readonly { readonly relation: string; readonly rows: number }[];
  readonly work: BaselineWork | null;
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
      detail: parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; '),
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

/**
 * Whether `now` is a work regression against `before`: at least `factor` ×
 * and more than `floor` units more (deterministic counts, so the floor only
 * keeps a page or two of drift in tiny queries from failing them). Returns
 * the reason naming the part that grew, or null.
 */
export function workRegression(before: BaselineWork, now: BaselineWork, gates: Pick<BenchGates, 'workFactor' | 'workFloor'>): string | null {
  if (!(now.total >= before.total * gates.workFactor && now.total - before.total > gates.workFloor)) return null;
  const parts: [string, number, number][] = [
    ['buffers', before.buffers, now.buffers],
    ['function calls', before.functionCalls ?? 0, now.functionCalls ?? 0],
    ['filter calls', before.filterCalls, now.filterCalls],
  ];
  const grew = parts.filter(([, was, is]) => is > was).map(([label, was, is]) => `${label} ${was} → ${is}`);
  return `${(now.total / Math.max(before.total, 1)).toFixed(1)}× the baseline's work (${before.total} → ${now.total}: ${grew.join(', ')}; rows ${before.rows} → ${now.rows}; limit ${gates.workFactor}×)`;
}

export function compareToBaseline(
  current: readonly QueryBenchResult[],
  baseline: Baseline,
  gates: Pick<BenchGates, 'slowdownFactor' | 'timingsGate' | 'workFactor' | 'workFloor'>,
  file: string,
): BaselineComparison {
  const findings: BaselineFinding[] = [];
  const byId = new Map(current.map((query) => [query.id, query]));
  for (const before of baseline.queries) {
    const now = byId.get(before.id);
    if (!now) continue;
    for (const index of before.planNodes.indexes) {
      if (!now.planNodes.indexes.includes(index)) {
        findings.push({
          queryId: before.id,
          kind: 'lost_index',
          detail: `${before.id} no longer uses index ${index} (baseline plan ${before.planNodes.top}; now ${now.planNodes.top} using ${now.planNodes.indexes.join(', ') || 'no index'})`,
        });
      }
    }
    const scannedBefore = new Set(before.seqScans.map((scan) => scan.relation));
    for (const scan of now.seqScans) {
      if (!scannedBefore.has(scan.relation)) {
        findings.push({ queryId: before.id, kind: 'new_seq_scan', detail: `${before.id} now does a Seq Scan on ${scan.relation} (${scan.rows} rows) that the baseline plan did not` });
      }
    }
    if (before.work && now.work) {
      const regression = workRegression(before.work, now.work, gates);
      if (regression) findings.push({ queryId: before.id, kind: 'more_work', detail: `${before.id} does ${regression}` });
    }
    if (gates.timingsGate && before.timings && now.timings) {
      for (const key of ['p50', 'p95'] as const) {
        const was = before.timings[key];
        const is = now.timings[key];
        if (is >= was * gates.slowdownFactor && is - was >= minimumSlowdownMs) {
          findings.push({
            queryId: before.id,
            kind: 'slowdown',
            detail: `${before.id} ${key} ${is} ms is ${(is / Math.max(was, 0.001)).toFixed(1)}x the baseline ${was} ms (limit ${gates.slowdownFactor}x)`,
          });
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
