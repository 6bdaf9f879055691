-- name: consent_rewritable_by_owner
-- description: the append-only guard on consent records is dropped and users get an UPDATE policy on their own rows: a user can rewrite the proof of what they consented to
drop trigger privacy_consent_records_block_update on public.privacy_consent_records;
grant update on public.privacy_consent_records to authenticated;
create policy user_mutant_consent_update_own on public.privacy_consent_records for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
