/**
 * Row targets per scale. `medium` is the floor queries.md sets for the
 * benchmark; `small` is 1/100 of it (tests), `large` 10x (on demand).
 * Every count is a minimum the generator reaches exactly or exceeds.
 */
import type { Scale } from '../config/index.ts';

export interface ScaleTargets {
  readonly users: number;
  readonly sessions: number;
  readonly events: number;
  readonly pageViews: number;
  readonly engagement: number;
  readonly consents: number;
  readonly dataRequests: number;
  readonly auditLogs: number;
  readonly ingestionLogs: number;
  readonly ingestionStreams: number;
  /** Synthetic FEC filings added on top of whatever real files were loaded. */
  readonly fecFilings: number;
  /** Synthetic committees/candidates, only generated when no FEC data is loaded. */
  readonly fecCommittees: number;
  readonly fecCandidates: number;
}

const medium: ScaleTargets = {
  users: 20_000,
  sessions: 200_000,
  events: 1_000_000,
  pageViews: 500_000,
  engagement: 200_000,
  consents: 50_000,
  dataRequests: 5_000,
  auditLogs: 200_000,
  ingestionLogs: 20_000,
  ingestionStreams: 400,
  fecFilings: 200_000,
  fecCommittees: 12_000,
  fecCandidates: 4_000,
};

function scaled(factor: number): ScaleTargets {
  const entries = Object.entries(medium).map(([key, value]) => [key, Math.max(1, Math.round(value * factor))]);
  return Object.fromEntries(entries) as unknown as ScaleTargets;
}

export const scaleTargets: Readonly<Record<Scale, ScaleTargets>> = {
  small: { ...scaled(0.01), ingestionStreams: 20, fecCommittees: 300, fecCandidates: 200 },
  medium,
  large: scaled(10),
};
