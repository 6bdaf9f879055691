-- name: audit_chain_always_intact
-- description: verify_audit_chain() reports no broken link whatever the rows say: tampering with the audit trail goes unnoticed
create or replace function public.verify_audit_chain(p_anchor_position bigint default null, p_anchor_hash bytea default null)
returns table (id uuid, chain_position bigint, reason text)
language sql stable security definer set search_path = '' as $$
  select null::uuid, null::bigint, null::text where false
$$;
