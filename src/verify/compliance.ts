/**
 * The compliance map: each GDPR/CCPA duty the schema serves, the mechanism
 * that serves it, and which checks of THIS run prove it. Evidence is matched
 * against the run's actual results (pgTAP assertions by file and description,
 * RLS properties by name), so a duty whose tests did not run or failed shows
 * as such — the map is never a static claim.
 */
import type { ComplianceDuty, Status } from '../report/model.ts';

export interface EvidenceItem {
  /** e.g. `tests/pgtap/privacy_requests.sql #12 due date is 30 days for GDPR` */
  readonly label: string;
  /** Text matched against the duty's patterns. */
  readonly haystack: string;
  readonly ok: boolean;
}

interface DutyDefinition {
  readonly id: string;
  readonly duty: string;
  readonly regulation: string;
  readonly mechanism: string;
  /** Each pattern must match at least one evidence item for the duty to count as proved. */
  readonly patterns: readonly RegExp[];
}

export const duties: readonly DutyDefinition[] = [
  { id: 'consent_proof', duty: 'Proof of consent (who, what, which policy version, when, how)', regulation: 'GDPR Art. 7(1); CCPA §1798.120', mechanism: 'privacy_consent_records: append-only history with consent_version, legal_basis, source; current-consent view', patterns: [/privacy_consent.*(append|update|delete|refus|current)/i] },
  { id: 'access', duty: 'Right of access / right to know', regulation: 'GDPR Art. 15; CCPA §1798.110 (ccpa_know)', mechanism: 'export_user_data(user) returns everything held about the user in one document', patterns: [/compliance_export_erase.*export/i] },
  { id: 'rectification', duty: 'Right to rectification / to correct', regulation: 'GDPR Art. 16; CPRA §1798.106 (ccpa_correct)', mechanism: 'privacy_data_requests (rectification, ccpa_correct) through the enforced state machine; owners update their own rows under RLS', patterns: [/privacy_requests.*(transition|state)/i] },
  { id: 'erasure', duty: 'Right to erasure / to delete', regulation: 'GDPR Art. 17; CCPA §1798.105 (ccpa_delete)', mechanism: 'erase_user_data(user): deletes or pseudonymises personal data, de-identifies audit rows via the sanctioned path, logs the erasure', patterns: [/compliance_export_erase.*eras/i] },
  { id: 'restriction_objection', duty: 'Restriction of processing and objection', regulation: 'GDPR Art. 18, 21', mechanism: 'request types restriction and objection tracked with due dates and audited transitions', patterns: [/privacy_requests.*(restriction|objection|request_type)/i] },
  { id: 'portability', duty: 'Data portability', regulation: 'GDPR Art. 20', mechanism: 'export_user_data returns a machine-readable JSON document; export_location/export_expires_at on access/portability requests', patterns: [/compliance_export_erase.*export/i] },
  { id: 'records_of_processing', duty: 'Records of processing; tamper-evident audit trail', regulation: 'GDPR Art. 5(2), 30', mechanism: 'privacy_audit_logs written by triggers and one SECURITY DEFINER function, hash-chained; verify_audit_chain(); UPDATE/DELETE refused', patterns: [/privacy_audit.*(chain|tamper)/i, /privacy_audit.*(update|delete|truncate)/i] },
  { id: 'storage_limitation', duty: 'Storage limitation (retention periods)', regulation: 'GDPR Art. 5(1)(e); CPRA §1798.100(a)(3)', mechanism: 'run_retention(now) with periods in a table (analytics 13 months, ingestion logs 90 days, audit 6 years), dropping expired partitions, logged', patterns: [/compliance_retention/i] },
  { id: 'deadlines', duty: 'Response deadlines: 30 days (GDPR), 45 days (CCPA), extensions with reason', regulation: 'GDPR Art. 12(3); CCPA §1798.130(a)(2)', mechanism: 'due_at set on insert by trigger from the regulation; extension recorded separately with a reason', patterns: [/privacy_requests.*(due|30|45|deadline)/i] },
  { id: 'ccpa_opt_out', duty: 'Opt-out of sale/sharing; limit use of sensitive PI', regulation: 'CCPA §1798.120, §1798.121 (ccpa_opt_out, ccpa_limit)', mechanism: 'consent type sale_or_sharing_of_personal_information and request types ccpa_opt_out / ccpa_limit', patterns: [/privacy_(consent|structure|requests).*(sale|opt_out|ccpa|enum|labels)/i] },
  { id: 'security_of_processing', duty: 'Security of processing: access limited to the data subject and authorised staff', regulation: 'GDPR Art. 25, 32; CCPA §1798.150', mechanism: 'RLS enabled and forced on every table and partition, least-privilege grants, admin only from app_metadata; proved by property tests and the mutation self-test', patterns: [/rls:.*visibility/i, /mutation:/i] },
  { id: 'minimisation', duty: 'Data minimisation in analytics', regulation: 'GDPR Art. 5(1)(c), 25', mechanism: 'ip_truncated CHECK (/24, /48), device fingerprint stored only as a hash', patterns: [/analytics.*(ip|truncat|fingerprint)/i] },
];

export function complianceMap(evidence: readonly EvidenceItem[]): ComplianceDuty[] {
  return duties.map((duty) => {
    const matchedPerPattern = duty.patterns.map((pattern) => evidence.filter((item) => pattern.test(item.haystack)));
    const matched = [...new Set(matchedPerPattern.flat())];
    let status: Status;
    if (matchedPerPattern.some((items) => items.length === 0)) status = 'warn';
    else if (matched.some((item) => !item.ok)) status = 'fail';
    else status = 'pass';
    const shown = matched.slice(0, 6).map((item) => `${item.ok ? '' : 'FAILED '}${item.label}`);
    if (matched.length > shown.length) shown.push(`… and ${matched.length - shown.length} more`);
    return { id: duty.id, duty: duty.duty, regulation: duty.regulation, mechanism: duty.mechanism, evidence: shown, status };
  });
}
