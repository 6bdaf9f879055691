-- name: admin_from_user_metadata
-- description: private.is_admin() reads user_metadata (which every user can edit) instead of app_metadata: any user who sets {"role": "admin"} in their own metadata becomes admin
create or replace function private.is_admin() returns boolean language sql stable set search_path = pg_catalog as $$
  select coalesce((auth.jwt() -> 'user_metadata' ->> 'role') = 'admin', false)
$$;
