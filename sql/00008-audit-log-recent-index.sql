-- 00008 an index for "recent high-risk audit events" that works under RLS
--
-- Why: query 16 (admin: high and critical risk events of the last 7 days)
-- cannot use privacy_audit_logs_risk_level_occurred_at_idx through the admin
-- policy: an enum comparison (risk_level in (...)) is not leakproof, so under
-- RLS the planner refuses it as an index condition and scanned all 200,000
-- rows (measured at medium scale: p50 134 ms, RLS ratio 36.8). A partial
-- index whose predicate is the query's risk filter sidesteps that: predicate
-- implication is decided at plan time, the scan's index condition is the
-- (leakproof) time range, and the index holds only the rare high-risk rows,
-- so it is small and does not compete with the per-subject index (query 15).
create index privacy_audit_logs_recent_high_risk_idx
  on public.privacy_audit_logs (occurred_at desc)
  where risk_level in ('high', 'critical');
comment on index public.privacy_audit_logs_recent_high_risk_idx is
  'Query 16 under RLS: high and critical risk events by time. Partial on the risk levels because enum equality is not leakproof and cannot be an index condition through the admin policy.';
