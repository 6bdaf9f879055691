-- fec_structure.sql: types, tables, keys, indexes, triggers, RLS, policies
-- and grants of the FEC area (sql/00004-fec.sql, policies/fec.sql).
begin;
set search_path = public, extensions;
select plan(256);

-- ---------------------------------------------------------------------------
-- Types: the FEC code lists
-- ---------------------------------------------------------------------------
select has_enum('public', e, 'enum ' || e || ' exists')
  from unnest(array['fec_office', 'fec_incumbent_challenger', 'fec_candidate_status', 'fec_committee_type',
                    'fec_committee_designation', 'fec_filing_frequency', 'fec_organization_type',
                    'fec_amendment_indicator', 'fec_filing_processing_status']) e;
select enum_has_labels('public', 'fec_office', array['H', 'S', 'P'], 'office codes H, S, P');
select enum_has_labels('public', 'fec_incumbent_challenger', array['I', 'C', 'O'], 'incumbent/challenger codes I, C, O');
select enum_has_labels('public', 'fec_candidate_status', array['C', 'F', 'N', 'P'], 'candidate status codes C, F, N, P');
select enum_has_labels('public', 'fec_committee_type',
  array['C', 'D', 'E', 'H', 'I', 'N', 'O', 'P', 'Q', 'S', 'U', 'V', 'W', 'X', 'Y', 'Z'], 'the 16 committee type codes');
select enum_has_labels('public', 'fec_committee_designation', array['A', 'B', 'D', 'J', 'P', 'U'], 'designation codes A, B, D, J, P, U');
select enum_has_labels('public', 'fec_filing_frequency', array['A', 'D', 'M', 'Q', 'T', 'W'], 'filing frequency codes');
select enum_has_labels('public', 'fec_organization_type', array['C', 'L', 'M', 'T', 'V', 'W', 'H', 'I'], 'organization type codes');
select enum_has_labels('public', 'fec_amendment_indicator', array['N', 'A', 'T'], 'amendment indicator codes N, A, T');
select enum_has_labels('public', 'fec_filing_processing_status',
  array['received', 'processing', 'processed', 'failed', 'superseded'], 'processing status labels');

-- ---------------------------------------------------------------------------
-- Tables and columns
-- ---------------------------------------------------------------------------
select has_table('public', t, 'table ' || t || ' exists')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;

select columns_are('public', 'fec_candidates', array[
  'id', 'candidate_id', 'name', 'party', 'office', 'state', 'district', 'election_year', 'election_years',
  'incumbent_challenger', 'candidate_status', 'principal_committee_id', 'street_1', 'street_2', 'city',
  'address_state', 'zip_code', 'created_at', 'updated_at'
]::name[], 'fec_candidates columns');
select columns_are('public', 'fec_committees', array[
  'id', 'committee_id', 'committee_name', 'treasurer_name', 'street_1', 'street_2', 'city', 'address_state',
  'zip_code', 'designation', 'committee_type', 'party', 'filing_frequency', 'organization_type',
  'connected_organization_name', 'candidate_id', 'created_at', 'updated_at'
]::name[], 'fec_committees columns');
select columns_are('public', 'fec_candidate_committees', array[
  'id', 'linkage_id', 'candidate_id', 'committee_id', 'candidate_election_year', 'fec_election_year',
  'committee_type', 'designation', 'created_at', 'updated_at'
]::name[], 'fec_candidate_committees columns');
select columns_are('public', 'fec_filings', array[
  'id', 'filing_id', 'committee_id', 'candidate_id', 'form_type', 'report_type', 'filing_date',
  'coverage_start_date', 'coverage_end_date', 'election_cycle', 'amendment_indicator', 'amends_filing_id',
  'receipts', 'disbursements', 'cash_on_hand', 'debts', 'processing_status', 'processed_at', 'raw',
  'created_at', 'updated_at', 'is_latest'
]::name[], 'fec_filings columns');

select col_type_is('public', 'fec_candidates', c, t, 'fec_candidates.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('candidate_id', 'text'), ('name', 'text'), ('party', 'text'), ('office', 'fec_office'),
    ('state', 'text'), ('district', 'text'), ('election_year', 'smallint'), ('election_years', 'smallint[]'),
    ('incumbent_challenger', 'fec_incumbent_challenger'), ('candidate_status', 'fec_candidate_status'),
    ('principal_committee_id', 'text'), ('street_1', 'text'), ('street_2', 'text'), ('city', 'text'),
    ('address_state', 'text'), ('zip_code', 'text'), ('created_at', 'timestamp with time zone'),
    ('updated_at', 'timestamp with time zone')
  ) v(c, t);
select col_type_is('public', 'fec_committees', c, t, 'fec_committees.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('committee_id', 'text'), ('committee_name', 'text'), ('treasurer_name', 'text'),
    ('street_1', 'text'), ('street_2', 'text'), ('city', 'text'), ('address_state', 'text'), ('zip_code', 'text'),
    ('designation', 'fec_committee_designation'), ('committee_type', 'fec_committee_type'), ('party', 'text'),
    ('filing_frequency', 'fec_filing_frequency'), ('organization_type', 'fec_organization_type'),
    ('connected_organization_name', 'text'), ('candidate_id', 'text'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);
select col_type_is('public', 'fec_candidate_committees', c, t, 'fec_candidate_committees.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('linkage_id', 'bigint'), ('candidate_id', 'text'), ('committee_id', 'text'),
    ('candidate_election_year', 'smallint'), ('fec_election_year', 'smallint'),
    ('committee_type', 'fec_committee_type'), ('designation', 'fec_committee_designation'),
    ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);
select col_type_is('public', 'fec_filings', c, t, 'fec_filings.' || c || ' is ' || t)
  from (values
    ('id', 'uuid'), ('filing_id', 'bigint'), ('committee_id', 'text'), ('candidate_id', 'text'),
    ('form_type', 'text'), ('report_type', 'text'), ('filing_date', 'date'), ('coverage_start_date', 'date'),
    ('coverage_end_date', 'date'), ('election_cycle', 'smallint'), ('amendment_indicator', 'fec_amendment_indicator'),
    ('amends_filing_id', 'bigint'), ('receipts', 'numeric(14,2)'), ('disbursements', 'numeric(14,2)'),
    ('cash_on_hand', 'numeric(14,2)'), ('debts', 'numeric(14,2)'),
    ('processing_status', 'fec_filing_processing_status'), ('processed_at', 'timestamp with time zone'),
    ('raw', 'jsonb'), ('created_at', 'timestamp with time zone'), ('updated_at', 'timestamp with time zone')
  ) v(c, t);

select col_not_null('public', t, c, t || '.' || c || ' is not null')
  from (values
    ('fec_candidates', 'candidate_id'), ('fec_candidates', 'name'), ('fec_candidates', 'office'),
    ('fec_candidates', 'state'), ('fec_candidates', 'election_year'), ('fec_candidates', 'election_years'),
    ('fec_committees', 'committee_id'), ('fec_committees', 'committee_name'),
    ('fec_candidate_committees', 'linkage_id'), ('fec_candidate_committees', 'candidate_id'),
    ('fec_candidate_committees', 'committee_id'), ('fec_candidate_committees', 'candidate_election_year'),
    ('fec_candidate_committees', 'fec_election_year'),
    ('fec_filings', 'filing_id'), ('fec_filings', 'committee_id'), ('fec_filings', 'form_type'),
    ('fec_filings', 'filing_date'), ('fec_filings', 'election_cycle'), ('fec_filings', 'amendment_indicator'),
    ('fec_filings', 'processing_status'), ('fec_filings', 'raw')
  ) v(t, c);
-- Nullable because real master files leave them empty.
select col_is_null('public', t, c, t || '.' || c || ' is nullable (empty in real FEC files)')
  from (values
    ('fec_candidates', 'district'), ('fec_candidates', 'incumbent_challenger'), ('fec_candidates', 'party'),
    ('fec_candidates', 'principal_committee_id'), ('fec_committees', 'committee_type'),
    ('fec_committees', 'designation'), ('fec_committees', 'candidate_id'), ('fec_filings', 'candidate_id'),
    ('fec_filings', 'receipts')
  ) v(t, c);
select col_default_is('public', t, 'id', 'gen_random_uuid()', t || '.id defaults to gen_random_uuid()')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select col_default_is('public', t, c, 'now()', t || '.' || c || ' defaults to now()')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t,
       unnest(array['created_at', 'updated_at']) c;
select col_default_is('public', 'fec_filings', 'processing_status', 'received'::fec_filing_processing_status, 'filings start as received');
select col_default_is('public', 'fec_filings', 'amendment_indicator', 'N'::fec_amendment_indicator, 'filings default to N (new)');

-- ---------------------------------------------------------------------------
-- Keys
-- ---------------------------------------------------------------------------
select has_pk('public', t, t || ' has a primary key')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select col_is_pk('public', t, array['id']::name[], t || ' pk is id')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select col_is_unique('public', t, array[c]::name[], t || '.' || c || ' is unique')
  from (values ('fec_candidates', 'candidate_id'), ('fec_committees', 'committee_id'),
               ('fec_candidate_committees', 'linkage_id'), ('fec_filings', 'filing_id')) v(t, c);
select fk_ok('public', 'fec_candidate_committees', array['candidate_id']::name[], 'public', 'fec_candidates', array['candidate_id']::name[],
  'linkages reference fec_candidates.candidate_id');
select fk_ok('public', 'fec_candidate_committees', array['committee_id']::name[], 'public', 'fec_committees', array['committee_id']::name[],
  'linkages reference fec_committees.committee_id');
select fk_ok('public', 'fec_filings', array['committee_id']::name[], 'public', 'fec_committees', array['committee_id']::name[],
  'filings reference fec_committees.committee_id');
select fk_ok('public', 'fec_filings', array['amends_filing_id']::name[], 'public', 'fec_filings', array['filing_id']::name[],
  'amendments reference the filing they amend');
select is(
  (select array_agg(conname::text || ':' || confdeltype::text || ':' || condeferrable::text order by conname::text)
     from pg_constraint where contype = 'f'
      and conrelid in ('public.fec_candidates'::regclass, 'public.fec_committees'::regclass,
                       'public.fec_candidate_committees'::regclass, 'public.fec_filings'::regclass)),
  array['fec_candidate_committees_candidate_id_fkey:c:false', 'fec_candidate_committees_committee_id_fkey:c:false',
        'fec_filings_amends_filing_id_fkey:a:true', 'fec_filings_committee_id_fkey:a:false'],
  'exactly four FKs: linkages cascade, filings refuse, the amendment chain is deferrable');
select is(
  (select count(*)::integer from pg_constraint c
    where c.contype = 'f' and c.conrelid in ('public.fec_candidates'::regclass, 'public.fec_committees'::regclass, 'public.fec_filings'::regclass)
      and exists (select 1 from pg_attribute a where a.attrelid = c.conrelid and a.attnum = any (c.conkey)
                   and a.attname in ('principal_committee_id', 'candidate_id'))),
  0, 'principal_committee_id and the candidate_id attributes are soft references (no FK)');

-- ---------------------------------------------------------------------------
-- Indexes
-- ---------------------------------------------------------------------------
select has_index('public', t, i, cols::name[], t || ' has index ' || i)
  from (values
    ('fec_candidates', 'fec_candidates_candidate_id_key', array['candidate_id']),
    ('fec_candidates', 'fec_candidates_state_office_election_year_idx', array['state', 'office', 'election_year']),
    ('fec_candidates', 'fec_candidates_name_trgm_idx', array['name']),
    ('fec_candidates', 'fec_candidates_principal_committee_id_idx', array['principal_committee_id']),
    ('fec_committees', 'fec_committees_committee_id_key', array['committee_id']),
    ('fec_committees', 'fec_committees_committee_name_trgm_idx', array['committee_name']),
    ('fec_committees', 'fec_committees_candidate_id_idx', array['candidate_id']),
    ('fec_candidate_committees', 'fec_candidate_committees_linkage_id_key', array['linkage_id']),
    ('fec_candidate_committees', 'fec_candidate_committees_candidate_id_fec_election_year_idx', array['candidate_id', 'fec_election_year']),
    ('fec_candidate_committees', 'fec_candidate_committees_committee_id_idx', array['committee_id']),
    ('fec_filings', 'fec_filings_filing_id_key', array['filing_id']),
    ('fec_filings', 'fec_filings_committee_id_filing_date_idx', array['committee_id', 'filing_date', 'filing_id', 'form_type', 'report_type', 'amendment_indicator', 'receipts']),
    ('fec_filings', 'fec_filings_amends_filing_id_key', array['amends_filing_id']),
    ('fec_filings', 'fec_filings_candidate_id_idx', array['candidate_id']),
    ('fec_filings', 'fec_filings_election_cycle_committee_id_idx', array['election_cycle', 'committee_id', 'filing_id', 'receipts'])
  ) v(t, i, cols);
select index_is_unique('public', t, i, i || ' is unique')
  from (values ('fec_candidates', 'fec_candidates_candidate_id_key'), ('fec_committees', 'fec_committees_committee_id_key'),
               ('fec_candidate_committees', 'fec_candidate_committees_linkage_id_key'),
               ('fec_filings', 'fec_filings_filing_id_key'), ('fec_filings', 'fec_filings_amends_filing_id_key')) v(t, i);
select index_is_type('public', t, i, 'gin', i || ' is GIN')
  from (values ('fec_candidates', 'fec_candidates_name_trgm_idx'), ('fec_committees', 'fec_committees_committee_name_trgm_idx')) v(t, i);
select is(
  (select array_agg(ic.relname::text || ':' || opc.opcname::text order by ic.relname::text)
     from pg_index x join pg_class ic on ic.oid = x.indexrelid join pg_opclass opc on opc.oid = x.indclass[0]
    where ic.relname in ('fec_candidates_name_trgm_idx', 'fec_committees_committee_name_trgm_idx')),
  array['fec_candidates_name_trgm_idx:gin_trgm_ops', 'fec_committees_committee_name_trgm_idx:gin_trgm_ops'],
  'name searches use pg_trgm''s gin_trgm_ops');
select is(
  (select coalesce(array_agg(c.conname::text order by c.conname::text), '{}')
     from pg_constraint c
    where c.contype = 'f'
      and c.conrelid in ('public.fec_candidates'::regclass, 'public.fec_committees'::regclass,
                         'public.fec_candidate_committees'::regclass, 'public.fec_filings'::regclass)
      and not exists (select 1 from pg_index x where x.indrelid = c.conrelid
                         and (x.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)),
  '{}'::text[], 'every FEC foreign key has an index led by its columns');

-- ---------------------------------------------------------------------------
-- Checks (presence; behaviour in fec_behaviour.sql)
-- ---------------------------------------------------------------------------
select col_has_check('public', t, c::name[], t || '.' || array_to_string(c, ', ') || ' has a CHECK')
  from (values
    ('fec_candidates', array['candidate_id']), ('fec_candidates', array['party']), ('fec_candidates', array['state']),
    ('fec_candidates', array['district']), ('fec_candidates', array['election_year']),
    ('fec_candidates', array['election_years']), ('fec_candidates', array['principal_committee_id']),
    ('fec_committees', array['committee_id']), ('fec_committees', array['committee_name']),
    ('fec_committees', array['candidate_id']), ('fec_committees', array['party']),
    ('fec_candidate_committees', array['linkage_id']), ('fec_candidate_committees', array['fec_election_year']),
    ('fec_filings', array['filing_id']), ('fec_filings', array['form_type']), ('fec_filings', array['report_type']),
    ('fec_filings', array['coverage_end_date', 'coverage_start_date']), ('fec_filings', array['election_cycle']),
    ('fec_filings', array['raw'])
  ) v(t, c);
select is(
  (select coalesce(array_agg(a.attrelid::regclass::text || '.' || a.attname order by a.attrelid::regclass::text || '.' || a.attname), '{}')
     from pg_attribute a
    where a.attrelid in ('public.fec_candidates'::regclass, 'public.fec_committees'::regclass,
                         'public.fec_candidate_committees'::regclass, 'public.fec_filings'::regclass)
      and a.atttypid = 'text'::regtype and a.attnum > 0 and not a.attisdropped
      and not exists (select 1 from pg_constraint k where k.conrelid = a.attrelid and k.contype = 'c' and a.attnum = any (k.conkey))),
  '{}'::text[], 'every FEC text column has a CHECK (length or format)');
select is(
  (select count(*)::integer from pg_attribute
    where attrelid = 'public.fec_filings'::regclass and attname in ('receipts', 'disbursements', 'cash_on_hand', 'debts')
      and format_type(atttypid, atttypmod) = 'numeric(14,2)'),
  4, 'money columns are numeric(14,2)');

-- ---------------------------------------------------------------------------
-- Triggers
-- ---------------------------------------------------------------------------
select has_trigger('public', t, t || '_set_updated_at', t || ' has its updated_at trigger')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select trigger_is('public', t, t || '_set_updated_at', 'private', 'set_updated_at', t || '_set_updated_at runs private.set_updated_at()')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;

-- ---------------------------------------------------------------------------
-- RLS, policies, grants
-- ---------------------------------------------------------------------------
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = ('public.' || t)::regclass),
  t || ': RLS enabled and forced')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select policies_are('public', t, array[t || '_select_anon', t || '_select_authenticated', t || '_insert_admin',
                                       t || '_update_admin', t || '_delete_admin']::name[], t || ' policies')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select policy_roles_are('public', t, t || '_select_anon', array['anon']::name[], t || '_select_anon applies to anon')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select policy_cmd_is('public', t, t || '_' || cmd || '_admin', cmd, t || '_' || cmd || '_admin is for ' || cmd)
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t,
       unnest(array['insert', 'update', 'delete']) cmd;
select is(
  (select count(*)::integer from pg_policies
    where tablename like 'fec\_%' and policyname like '%\_admin'
      and coalesce(qual, with_check) <> '( SELECT private.is_admin() AS is_admin)'),
  0, 'every admin policy tests (select private.is_admin())');
select is(
  (select count(*)::integer from pg_policies where tablename like 'fec\_%' and 'public' = any (roles)),
  0, 'no FEC policy applies to PUBLIC');
select is(
  (select count(*)::integer from (
     select p.tablename, r, p.cmd from pg_policies p, unnest(p.roles) r
      where p.tablename like 'fec\_%' and p.permissive = 'PERMISSIVE'
      group by 1, 2, 3 having count(*) > 1) d),
  0, 'at most one permissive policy per table, role and command');
select table_privs_are('public', t, 'anon', array['SELECT'], 'anon: ' || t || ' SELECT only')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select table_privs_are('public', t, 'authenticated', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  'authenticated: ' || t || ' S, I, U, D (writes limited to admins by policy)')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select table_privs_are('public', t, 'service_role', array['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'service_role: ' || t || ' S, I, U, D')
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;
select table_privs_are('public', t, 'public', '{}'::text[], 'PUBLIC: no privileges on ' || t)
  from unnest(array['fec_candidates', 'fec_committees', 'fec_candidate_committees', 'fec_filings']) t;

-- ---------------------------------------------------------------------------
-- Data dictionary
-- ---------------------------------------------------------------------------
select is(
  (select coalesce(array_agg(c.relname::text || '.' || a.attname order by c.relname::text || '.' || a.attname), '{}')
     from pg_class c join pg_attribute a on a.attrelid = c.oid
    where c.relnamespace = 'public'::regnamespace and c.relname like 'fec\_%' and c.relkind = 'r'
      and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null),
  '{}'::text[], 'every column of every FEC table has a comment');
select is(
  (select count(*)::integer from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relname like 'fec\_%' and c.relkind = 'r'
      and obj_description(c.oid, 'pg_class') is null),
  0, 'every FEC table has a comment');
select is(
  (select count(*)::integer from pg_type t
    where t.typnamespace = 'public'::regnamespace and t.typname like 'fec\_%' and t.typtype = 'e'
      and obj_description(t.oid, 'pg_type') is null),
  0, 'every FEC enum has a comment');

-- ---------------------------------------------------------------------------
-- A violation is caught: anon cannot write reference data
-- ---------------------------------------------------------------------------
set local role anon;
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H0XX00001', 'X', 'H', 'XX', 2020)$$,
  '42501', null, 'anon cannot insert FEC rows');
reset role;

select * from finish();
rollback;
