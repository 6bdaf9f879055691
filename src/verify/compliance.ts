/**
 * The compliance map is project data (tests/compliance/compliance-map.json,
 * config key `complianceMap`): each duty the schema serves, the mechanism
 * that serves it, and the checks whose results prove it — pgTAP tests (file,
 * and optionally the exact test name), RLS properties, catalogue queries,
 * whole gates. The harness knows no duty: it validates the map (an id that
 * matches nothing is an error, exit 6) and marks each duty with what THIS
 * run's checks said, so a duty whose checks did not run or failed shows as
 * such — the map is never a static claim. A project without a map gets one
 * sentence instead of a section.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SchemaproofError } from '../errors/index.ts';
import { gateIds, type ComplianceDuty, type ComplianceProof, type GateId, type Status, type VerificationReport } from '../report/model.ts';

const proofSchema = z.union([
  z.object({ pgtap: z.string().min(1), test: z.string().min(1).optional() }).strict(),
  z.object({ property: z.string().min(1) }).strict(),
  z.object({ bench: z.string().min(1) }).strict(),
  z.object({ gate: z.enum(gateIds) }).strict(),
]);
export type ProofSpec = z.output<typeof proofSchema>;

const dutySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'duty ids are lower-case identifiers'),
    duty: z.string().min(3),
    regulation: z.string().default(''),
    mechanism: z.string().min(3),
    provedBy: z.array(proofSchema).min(1, 'every duty names at least one check that proves it'),
  })
  .strict();

export const complianceMapSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1),
    description: z.string().optional(),
    duties: z.array(dutySchema),
  })
  .strict();
export type ComplianceMap = z.output<typeof complianceMapSchema>;

export interface LoadComplianceOptions {
  /** The project root: pgTAP paths in the map are relative to it. */
  readonly root: string;
  /** False when the path is only the default: a missing file then means "no map". */
  readonly required: boolean;
  /** Catalogue query ids, when the catalogue could be read (bench proofs are checked against them). */
  readonly queryIds?: readonly string[] | null;
}

/** Read and check the map before anything runs; null when the project has none. */
export function loadComplianceMap(file: string, options: LoadComplianceOptions): ComplianceMap | null {
  if (!existsSync(file)) {
    if (!options.required) return null;
    throw new SchemaproofError({ code: 'compliance_map_invalid', file, problems: ['file not found (config key complianceMap)'] });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SchemaproofError({ code: 'compliance_map_invalid', file, problems: [`cannot be read as JSON: ${(error as Error).message.split('\n')[0]}`] });
  }
  const parsed = complianceMapSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SchemaproofError({ code: 'compliance_map_invalid', file, problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`) });
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const duty of parsed.data.duties) {
    if (seen.has(duty.id)) problems.push(`duty ${duty.id}: duplicate id`);
    seen.add(duty.id);
    for (const proof of duty.provedBy) {
      if ('pgtap' in proof && !existsSync(resolve(options.root, proof.pgtap))) problems.push(`duty ${duty.id}: pgTAP file ${proof.pgtap} does not exist`);
      if ('bench' in proof && options.queryIds && !options.queryIds.includes(proof.bench))
        problems.push(`duty ${duty.id}: query ${proof.bench} is not in the catalogue (known: ${options.queryIds.join(', ')})`);
    }
  }
  if (problems.length > 0) throw new SchemaproofError({ code: 'compliance_map_invalid', file, problems });
  return parsed.data;
}

/** What a run produced that a proof can point at (the report's sections, before compliance). */
export interface ComplianceInputs {
  readonly pgtap: VerificationReport['pgtap'];
  readonly rls: VerificationReport['rls'];
  readonly plans: VerificationReport['plans'];
  readonly gates: readonly { readonly id: GateId; readonly status: Status }[];
}

interface Judged {
  readonly proof: ComplianceProof;
  /** Set when the id matches nothing the run had (an error in the map). */
  readonly problem: string | null;
}

const incomplete = new Set<Status>(['error']);

function judge(proof: ProofSpec, inputs: ComplianceInputs): Judged {
  const gateStatus = (id: GateId) => inputs.gates.find((gate) => gate.id === id)?.status ?? 'skipped';
  if ('pgtap' in proof) {
    const check = proof.test ? `pgTAP ${proof.pgtap}: ${proof.test}` : `pgTAP ${proof.pgtap}`;
    if (!inputs.pgtap) return { proof: { check, status: 'skipped', detail: `the pgtap gate ${gateStatus('pgtap') === 'skipped' ? 'was skipped' : 'did not run'}` }, problem: null };
    const file = inputs.pgtap.files.find((entry) => entry.file === proof.pgtap || entry.file.endsWith(`/${proof.pgtap}`) || proof.pgtap.endsWith(`/${entry.file}`));
    if (!file) return { proof: { check, status: 'error', detail: 'no pgTAP file of this run has this path' }, problem: `pgTAP file ${proof.pgtap} was not among the files this run ran` };
    if (!proof.test) return { proof: { check, status: file.status, detail: `${file.passed} passed, ${file.failed} failed` }, problem: null };
    const matching = (file.assertions ?? []).filter((assertion) => assertion.description === proof.test);
    if (matching.length === 0) {
      if (incomplete.has(file.status)) return { proof: { check, status: 'fail', detail: 'the file did not run to the end' }, problem: null };
      return { proof: { check, status: 'error', detail: 'no test of this name in the file' }, problem: `pgTAP ${proof.pgtap} has no test named "${proof.test}"` };
    }
    const ok = matching.every((assertion) => assertion.ok);
    return { proof: { check, status: ok ? 'pass' : 'fail', detail: matching.map((assertion) => `#${assertion.number} ${assertion.ok ? 'ok' : 'not ok'}`).join(', ') }, problem: null };
  }
  if ('property' in proof) {
    const check = `RLS property ${proof.property}`;
    if (!inputs.rls) return { proof: { check, status: 'skipped', detail: 'the rls gate did not run' }, problem: null };
    const property = inputs.rls.properties.find((entry) => entry.name === proof.property);
    if (!property)
      return {
        proof: { check, status: 'error', detail: 'no property of this name' },
        problem: `RLS property ${proof.property} does not exist (this run had: ${inputs.rls.properties.map((entry) => entry.name).join(', ')})`,
      };
    return { proof: { check, status: property.status, detail: `${property.runs} worlds` }, problem: null };
  }
  if ('bench' in proof) {
    const check = `query ${proof.bench}`;
    if (!inputs.plans) return { proof: { check, status: 'skipped', detail: 'the plans gate did not run' }, problem: null };
    const query = inputs.plans.queries.find((entry) => entry.id === proof.bench);
    if (!query) return { proof: { check, status: 'error', detail: 'no query of this id ran' }, problem: `query ${proof.bench} did not run in the plans gate` };
    return { proof: { check, status: query.status, detail: query.title }, problem: null };
  }
  const status = gateStatus(proof.gate);
  return { proof: { check: `gate ${proof.gate}`, status: status === 'warn' ? 'pass' : status, detail: null }, problem: null };
}

function dutyStatus(proofs: readonly ComplianceProof[]): Status {
  if (proofs.some((proof) => proof.status === 'error')) return 'error';
  if (proofs.some((proof) => proof.status === 'fail')) return 'fail';
  if (proofs.some((proof) => proof.status === 'skipped')) return 'warn';
  return 'pass';
}

/** Each duty with the status of every check it names, in this run; and the map's ids that matched nothing. */
export function evaluateCompliance(map: ComplianceMap, inputs: ComplianceInputs): { readonly duties: ComplianceDuty[]; readonly problems: string[] } {
  const problems: string[] = [];
  const duties = map.duties.map((duty) => {
    const judged = duty.provedBy.map((proof) => judge(proof, inputs));
    for (const entry of judged) if (entry.problem) problems.push(`duty ${duty.id}: ${entry.problem}`);
    const proofs = judged.map((entry) => entry.proof);
    return { id: duty.id, duty: duty.duty, regulation: duty.regulation, mechanism: duty.mechanism, proofs, status: dutyStatus(proofs) };
  });
  return { duties, problems };
}
