/**
 * Adapters from each checker's typed result to the report's sections and to
 * gate outcomes. One function per gate; the orchestrator runs them in order.
 */
import type { Settings } from '../config/index.ts';
import type { Failure, GateId, Status, VerificationReport } from '../report/model.ts';
import type { Template } from '../postgres/index.ts';
import type { Workspace } from '../workspace/index.ts';
import type { EvidenceItem } from './compliance.ts';

export interface GateOutcome {
  readonly status: Status;
  readonly summary: string;
  readonly failures: readonly Failure[];
}

export type Sections = { -readonly [K in 'pgtap' | 'rls' | 'mutation' | 'plans' | 'lint' | 'restoreDrill' | 'accessMatrix']?: VerificationReport[K] };

export interface GateContext {
  readonly settings: Settings;
  readonly workspace: Workspace;
  readonly progress: (message: string) => void;
  /** Gates append what they proved, for the compliance map. */
  readonly evidence: EvidenceItem[];
  /** Gates fill their report sections. */
  readonly sections: Sections;
  /** Checks re-run on the restored database by the restore gate. */
  restoreFollowUps?: ((restored: Template) => Promise<{ readonly summary: string; readonly failures: readonly Failure[] }>)[];
}

export type GateRunner = (context: GateContext) => Promise<GateOutcome>;

/** Gates in run order (migrations and restore are handled by the orchestrator). */
export const gateRunners: readonly (readonly [GateId, GateRunner])[] = [];
