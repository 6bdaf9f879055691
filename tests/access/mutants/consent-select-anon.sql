-- name: user_consent_readable_by_anon
-- description: consent history readable by anonymous visitors (a grant plus a permissive policy for anon)
grant select on public.privacy_consent_records to anon;
create policy user_mutant_consent_anon on public.privacy_consent_records for select to anon using (true);
