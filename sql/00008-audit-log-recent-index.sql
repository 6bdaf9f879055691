-- 00008 an index for "recent high-risk audit events" that works under RLS
--
-- Why: query 16 (admin: high and critical risk events of the last 7 days)
-- cannot use privacy_audit_logs_risk_level_occurred_at_idx through the admin
-- policy: an enum comparison (risk_level in (...)) is not leakproof, so under
-- RLS the planner refuses it as an index condition and scanned all 200,000
-- rows (measured at medium scale: p50 134 ms, RLS ratio 36.8). A range on
-- occurred_at is leakproof; leading with it and carrying risk_level in the
-- index lets the scan stop after the last 7 days and filter risk levels
-- without visiting the heap (same fix as ingestion_logs_started_at_idx).
create index privacy_audit_logs_occurred_at_idx
  on public.privacy_audit_logs (occurred_at desc)
  include (risk_level);
comment on index public.privacy_audit_logs_occurred_at_idx is
  'Query 16 under RLS: recent audit events by time, risk_level carried for filtering (enum equality is not leakproof, so it cannot be an index condition through the admin policy).';
