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
  { id: 'consent_proof', duty: 'Proof of consent (who, what, which policy version, when, how)', regulation: 'GDPR Art. 7(1); CCPA §1798.120', mechanism: 'privacy_consent_records: append-only history with consent_version, legal_basis, source; privacy_current_consents view; every decision audited', patterns: [/privacy_consent\.sql.*(owner|service|users) cannot (update|delete)/i, /privacy_consent\.sql.*current consent per type is her latest decision/i, /privacy_consent\.sql.*every consent record has its consent_.* audit event/i] },
  { id: 'access', duty: 'Right of access / right to know', regulation: 'GDPR Art. 15; CCPA §1798.110 (ccpa_know)', mechanism: 'export_user_data(user) returns everything held about the user in one document', patterns: [/compliance_export_erase\.sql.*the export holds every row the schema has about the user/i, /compliance_export_erase\.sql.*the export holds nothing about anyone else/i] },
  { id: 'rectification', duty: 'Right to rectification / to correct', regulation: 'GDPR Art. 16; CPRA §1798.106 (ccpa_correct)', mechanism: 'privacy_data_requests (rectification, ccpa_correct) through the enforced state machine; owners update their own rows under RLS', patterns: [/privacy_requests\.sql.*-> .* is refused/i, /privacy_requests\.sql.*an admin verifies a request/i] },
  { id: 'erasure', duty: 'Right to erasure / to delete', regulation: 'GDPR Art. 17; CCPA §1798.105 (ccpa_delete)', mechanism: 'erase_user_data(user): deletes or pseudonymises personal data, de-identifies audit rows through the one sanctioned path, logs the erasure', patterns: [/compliance_export_erase\.sql.*after erasure every section of the export is empty/i, /compliance_export_erase\.sql.*no audit row names the erased person/i, /compliance_export_erase\.sql.*verify_audit_chain\(\) passes after the erasure/i] },
  { id: 'restriction_objection', duty: 'Restriction of processing and objection', regulation: 'GDPR Art. 18, 21', mechanism: 'request types restriction and objection, tracked with deadlines and audited transitions', patterns: [/privacy_structure\.sql.*privacy_request_type/i, /privacy_requests\.sql.*full history of a request is in the audit log/i] },
  { id: 'portability', duty: 'Data portability', regulation: 'GDPR Art. 20', mechanism: 'export_user_data returns one versioned, machine-readable JSON document; access/portability requests carry an expiring export link', patterns: [/compliance_export_erase\.sql.*one versioned document/i, /privacy_requests\.sql.*an access request gets an export link/i] },
  { id: 'records_of_processing', duty: 'Records of processing; tamper-evident audit trail', regulation: 'GDPR Art. 5(2), 30', mechanism: 'privacy_audit_logs written only by triggers and one SECURITY DEFINER function, hash-chained over pseudonyms; verify_audit_chain(); UPDATE/DELETE/TRUNCATE refused for every role', patterns: [/privacy_audit\.sql.*(an edited details object is found|a deleted row in the middle is found)/i, /privacy_audit\.sql.*the owner cannot (update|delete) audit rows/i] },
  { id: 'storage_limitation', duty: 'Storage limitation (retention periods)', regulation: 'GDPR Art. 5(1)(e); CPRA §1798.100(a)(3)', mechanism: 'run_retention(now) with periods in private.retention_policies (analytics 13 months, ingestion logs 90 days, audit 6 years), dropping expired partitions, logged', patterns: [/compliance_retention\.sql.*removes exactly the expired rows/i, /compliance_retention\.sql.*verify_audit_chain\(\) passes after pruning/i] },
  { id: 'deadlines', duty: 'Response deadlines: 30 days (GDPR), 45 days (CCPA), extensions with reason', regulation: 'GDPR Art. 12(3); CCPA §1798.130(a)(2)', mechanism: 'due_at generated from submitted_at and the regulation; extensions recorded separately with a reason and bounded', patterns: [/privacy_requests\.sql.*due_at = submitted_at \+ 30 days/i, /privacy_requests\.sql.*extension/i] },
  { id: 'ccpa_opt_out', duty: 'Opt-out of sale/sharing; limit use of sensitive PI', regulation: 'CCPA §1798.120, §1798.121 (ccpa_opt_out, ccpa_limit)', mechanism: 'consent type sale_or_sharing_of_personal_information; request types ccpa_opt_out and ccpa_limit', patterns: [/privacy_structure\.sql.*privacy_(consent|request)_type/i] },
  { id: 'security_of_processing', duty: 'Security of processing: access limited to the data subject and authorised staff', regulation: 'GDPR Art. 25, 32; CCPA §1798.150', mechanism: 'RLS enabled and forced on every table and partition, least-privilege grants, admin only from app_metadata; proved by the property tests and the mutation self-test', patterns: [/^rls property/i, /^mutation/i] },
  { id: 'minimisation', duty: 'Data minimisation in analytics', regulation: 'GDPR Art. 5(1)(c), 25', mechanism: 'ip_truncated CHECK (/24, /48), device fingerprint stored only as a hash', patterns: [/analytics_behaviour\.sql.*a full IPv4 address is refused/i, /analytics_behaviour\.sql.*raw \(non-hash\) fingerprint is refused/i] },
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
