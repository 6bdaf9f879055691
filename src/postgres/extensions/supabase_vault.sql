-- supabase_vault as a throwaway cluster offers it (schemaproof stub). On the
-- platform Vault keeps secrets encrypted (by pgsodium, later by its own key)
-- in vault.secrets and decrypts them in the view vault.decrypted_secrets.
-- Here the same tables, view and functions exist and behave the same to SQL
-- that reads them through decrypted_secrets, but vault.secrets.secret holds
-- the plain text: a test that inspects the ciphertext fails here.
\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

create table @extschema@.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
create unique index secrets_name_idx on @extschema@.secrets (name) where name is not null;
comment on table @extschema@.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';

create view @extschema@.decrypted_secrets as
  select s.id, s.name, s.description, s.secret, s.secret as decrypted_secret, s.key_id, s.nonce, s.created_at, s.updated_at
    from @extschema@.secrets s;

create function @extschema@.create_secret(new_secret text, new_name text default null, new_description text default '', new_key_id uuid default null)
  returns uuid
  language plpgsql
  security definer
  set search_path = ''
as $$
declare
  created uuid;
begin
  insert into @extschema@.secrets (secret, name, description, key_id)
  values (new_secret, new_name, coalesce(new_description, ''), new_key_id)
  returning id into created;
  return created;
end
$$;

create function @extschema@.update_secret(secret_id uuid, new_secret text default null, new_name text default null, new_description text default null, new_key_id uuid default null)
  returns void
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  update @extschema@.secrets
     set secret = coalesce(new_secret, secret),
         name = coalesce(new_name, name),
         description = coalesce(new_description, description),
         key_id = coalesce(new_key_id, key_id),
         updated_at = current_timestamp
   where id = secret_id;
end
$$;

revoke all on @extschema@.secrets, @extschema@.decrypted_secrets from public;
revoke all on function @extschema@.create_secret(text, text, text, uuid), @extschema@.update_secret(uuid, text, text, text, uuid) from public;
