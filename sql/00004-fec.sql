-- 00004 FEC: candidates, committees, candidate-committee linkages, filings.
--
-- Why this shape: the tables follow the FEC bulk-data file formats
-- (cn = candidate master, cm = committee master, ccl = candidate-committee
-- linkages) and the openFEC filings resource, so the loader maps columns one
-- to one. Codes the FEC documents as closed lists are enums; open
-- vocabularies that the FEC extends over time (form types, report types) are
-- text with a format CHECK so a new code does not reject a real filing.
--
-- References, decided per column (see notes/schema-a.md):
--   * Attributes copied from a master file that name another entity
--     (fec_candidates.principal_committee_id, fec_committees.candidate_id,
--     fec_filings.candidate_id) are SOFT references: format CHECK + index,
--     no FK. Real files point at rows that are not loaded (another cycle,
--     not yet registered, or deleted by the FEC); an FK would reject a
--     correct master record because of someone else's row.
--   * Relationships this schema exists to serve are FKs, with a quarantine
--     path in the loader for dangling rows: fec_candidate_committees (both
--     ends), fec_filings.committee_id, fec_filings.amends_filing_id. A
--     linkage or filing without its committee cannot answer any catalogue
--     query correctly, so it is reported instead of stored.
--
-- All FEC tables are public reference data: anon and users read, admin
-- writes (policies/fec.sql).

-- ---------------------------------------------------------------------------
-- Types (FEC code lists)
-- ---------------------------------------------------------------------------
create type public.fec_office as enum ('H', 'S', 'P');
comment on type public.fec_office is 'FEC office sought (CAND_OFFICE): H = House, S = Senate, P = President.';

create type public.fec_incumbent_challenger as enum ('I', 'C', 'O');
comment on type public.fec_incumbent_challenger is 'FEC incumbent/challenger status (CAND_ICI): I = incumbent, C = challenger, O = open seat.';

create type public.fec_candidate_status as enum ('C', 'F', 'N', 'P');
comment on type public.fec_candidate_status is 'FEC candidate status (CAND_STATUS): C = statutory candidate, F = statutory candidate for future election, N = not yet a statutory candidate, P = statutory candidate in prior cycle.';

create type public.fec_committee_type as enum ('C', 'D', 'E', 'H', 'I', 'N', 'O', 'P', 'Q', 'S', 'U', 'V', 'W', 'X', 'Y', 'Z');
comment on type public.fec_committee_type is 'FEC committee type (CMTE_TP), the 16 codes: C communication cost, D delegate committee, E electioneering communication, H House, I independent expenditor (person or group), N PAC - nonqualified, O independent expenditure-only (super PAC), P presidential, Q PAC - qualified, S Senate, U single-candidate independent expenditure, V hybrid PAC (nonqualified), W hybrid PAC (qualified), X party - nonqualified, Y party - qualified, Z national party nonfederal account.';

create type public.fec_committee_designation as enum ('A', 'B', 'D', 'J', 'P', 'U');
comment on type public.fec_committee_designation is 'FEC committee designation (CMTE_DSGN): A authorized by a candidate, B lobbyist/registrant PAC, D leadership PAC, J joint fundraiser, P principal campaign committee, U unauthorized.';

create type public.fec_filing_frequency as enum ('A', 'D', 'M', 'Q', 'T', 'W');
comment on type public.fec_filing_frequency is 'FEC committee filing frequency (CMTE_FILING_FREQ): A administratively terminated, D debt, M monthly filer, Q quarterly filer, T terminated, W waived.';

create type public.fec_organization_type as enum ('C', 'L', 'M', 'T', 'V', 'W', 'H', 'I');
comment on type public.fec_organization_type is 'FEC interest group category (ORG_TP): C corporation, L labor organization, M membership organization, T trade association, V cooperative, W corporation without capital stock; H host committee and I inaugural committee (used by the FEC in the committee master file for convention host and presidential inaugural committees).';

create type public.fec_amendment_indicator as enum ('N', 'A', 'T');
comment on type public.fec_amendment_indicator is 'FEC amendment indicator (AMNDT_IND): N new report, A amendment of an earlier report, T termination report.';

create type public.fec_filing_processing_status as enum ('received', 'processing', 'processed', 'failed', 'superseded');
comment on type public.fec_filing_processing_status is 'Our pipeline state of a filing: received (stored, not parsed), processing, processed (totals extracted), failed (parsing failed; see raw), superseded (a later amendment replaces it).';

-- ---------------------------------------------------------------------------
-- fec_candidates (cn.txt)
-- ---------------------------------------------------------------------------
create table public.fec_candidates (
  id uuid primary key default gen_random_uuid(),
  candidate_id text not null,
  name text not null,
  party text,
  office public.fec_office not null,
  state text not null,
  district text,
  election_year smallint not null,
  election_years smallint[] not null default '{}',
  incumbent_challenger public.fec_incumbent_challenger,
  candidate_status public.fec_candidate_status,
  principal_committee_id text,
  street_1 text,
  street_2 text,
  city text,
  address_state text,
  zip_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fec_candidates_candidate_id_key unique (candidate_id),
  constraint fec_candidates_candidate_id_check check (candidate_id ~ '^[HSP][0-9A-Z]{8}$'),
  constraint fec_candidates_name_check check (char_length(name) between 1 and 200),
  constraint fec_candidates_party_check check (char_length(party) between 1 and 3),
  constraint fec_candidates_state_check check (state ~ '^[A-Z]{2}$'),
  constraint fec_candidates_district_check check (district ~ '^[0-9]{2}$'),
  -- Range, not plausibility: the FEC publishes filer typos (2106, 2820, 2916
  -- in the 2020 file) and they are the official record; 0 or 20 are not years.
  constraint fec_candidates_election_year_check check (election_year between 1900 and 2999),
  constraint fec_candidates_election_years_check check (
    array_position(election_years, null) is null
    and 1900 <= all (election_years) and 2999 >= all (election_years)
  ),
  constraint fec_candidates_principal_committee_id_check check (principal_committee_id ~ '^C[0-9]{8}$'),
  constraint fec_candidates_street_1_check check (char_length(street_1) between 1 and 200),
  constraint fec_candidates_street_2_check check (char_length(street_2) between 1 and 200),
  constraint fec_candidates_city_check check (char_length(city) between 1 and 100),
  constraint fec_candidates_address_state_check check (address_state ~ '^[A-Z0-9]{2}$'),
  constraint fec_candidates_zip_code_check check (char_length(zip_code) between 1 and 10)
);

comment on table public.fec_candidates is 'FEC candidate master (cn.txt): one row per FEC candidate id. Public reference data.';
comment on column public.fec_candidates.id is 'Surrogate primary key (random UUID v4).';
comment on column public.fec_candidates.candidate_id is 'FEC candidate id (CAND_ID): office letter H/S/P then 8 digits/letters; unique. The first letter is the office of first registration and may differ from office.';
comment on column public.fec_candidates.name is 'Candidate name as filed (CAND_NAME), usually LAST, FIRST.';
comment on column public.fec_candidates.party is 'FEC party code (CAND_PTY_AFFILIATION), 1-3 characters, e.g. DEM, REP, W.';
comment on column public.fec_candidates.office is 'Office sought (CAND_OFFICE).';
comment on column public.fec_candidates.state is 'State of the office sought (CAND_OFFICE_ST), 2 letters; US for President.';
comment on column public.fec_candidates.district is 'Congressional district (CAND_OFFICE_DISTRICT), 2 digits; 00 for at-large, Senate and President; null when not given.';
comment on column public.fec_candidates.election_year is 'Year of the election the record refers to (CAND_ELECTION_YR).';
comment on column public.fec_candidates.election_years is 'Every election year this candidate has been recorded for (history across loaded cycles), no nulls.';
comment on column public.fec_candidates.incumbent_challenger is 'Incumbent/challenger status (CAND_ICI); null when not given.';
comment on column public.fec_candidates.candidate_status is 'Candidate status (CAND_STATUS); null when not given.';
comment on column public.fec_candidates.principal_committee_id is 'FEC id of the principal campaign committee (CAND_PCC). Soft reference (format CHECK + index, no FK): the committee may not be loaded.';
comment on column public.fec_candidates.street_1 is 'Mailing address line 1 (CAND_ST1).';
comment on column public.fec_candidates.street_2 is 'Mailing address line 2 (CAND_ST2).';
comment on column public.fec_candidates.city is 'Mailing address city (CAND_CITY).';
comment on column public.fec_candidates.address_state is 'Mailing address state (CAND_ST), 2 characters as filed.';
comment on column public.fec_candidates.zip_code is 'Mailing address ZIP code (CAND_ZIP), as filed (5 or 9 digits usually).';
comment on column public.fec_candidates.created_at is 'When the row was inserted.';
comment on column public.fec_candidates.updated_at is 'When the row was last updated (trigger fec_candidates_set_updated_at).';

-- The unique index on candidate_id serves query 17 (candidate by FEC id).
comment on index public.fec_candidates_candidate_id_key is 'Unique FEC candidate id; serves query 17 and the FK from fec_candidate_committees.';
create index fec_candidates_state_office_election_year_idx on public.fec_candidates (state, office, election_year);
comment on index public.fec_candidates_state_office_election_year_idx is 'Serves query 18: candidates by state, office and election year.';
create index fec_candidates_name_trgm_idx on public.fec_candidates using gin (name extensions.gin_trgm_ops);
comment on index public.fec_candidates_name_trgm_idx is 'Trigram GIN (trigrams are case-folded): serves query 19, name ILIKE ''%part%''.';
create index fec_candidates_principal_committee_id_idx on public.fec_candidates (principal_committee_id);
comment on index public.fec_candidates_principal_committee_id_idx is 'Index for the soft reference principal_committee_id (candidate of a committee).';

create trigger fec_candidates_set_updated_at
  before update on public.fec_candidates
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- fec_committees (cm.txt)
-- ---------------------------------------------------------------------------
create table public.fec_committees (
  id uuid primary key default gen_random_uuid(),
  committee_id text not null,
  committee_name text not null,
  treasurer_name text,
  street_1 text,
  street_2 text,
  city text,
  address_state text,
  zip_code text,
  designation public.fec_committee_designation,
  committee_type public.fec_committee_type,
  party text,
  filing_frequency public.fec_filing_frequency,
  organization_type public.fec_organization_type,
  connected_organization_name text,
  candidate_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fec_committees_committee_id_key unique (committee_id),
  constraint fec_committees_committee_id_check check (committee_id ~ '^C[0-9]{8}$'),
  constraint fec_committees_committee_name_check check (char_length(committee_name) between 1 and 200),
  constraint fec_committees_treasurer_name_check check (char_length(treasurer_name) between 1 and 200),
  constraint fec_committees_street_1_check check (char_length(street_1) between 1 and 200),
  constraint fec_committees_street_2_check check (char_length(street_2) between 1 and 200),
  constraint fec_committees_city_check check (char_length(city) between 1 and 100),
  constraint fec_committees_address_state_check check (address_state ~ '^[A-Z0-9]{2}$'),
  constraint fec_committees_zip_code_check check (char_length(zip_code) between 1 and 10),
  constraint fec_committees_party_check check (char_length(party) between 1 and 3),
  constraint fec_committees_connected_organization_name_check check (char_length(connected_organization_name) between 1 and 200),
  constraint fec_committees_candidate_id_check check (candidate_id ~ '^[HSP][0-9A-Z]{8}$')
);

comment on table public.fec_committees is 'FEC committee master (cm.txt): one row per FEC committee id. Candidate relationships per cycle are in fec_candidate_committees. Public reference data.';
comment on column public.fec_committees.id is 'Surrogate primary key (random UUID v4).';
comment on column public.fec_committees.committee_id is 'FEC committee id (CMTE_ID): C followed by 8 digits; unique.';
comment on column public.fec_committees.committee_name is 'Committee name (CMTE_NM).';
comment on column public.fec_committees.treasurer_name is 'Treasurer name (TRES_NM).';
comment on column public.fec_committees.street_1 is 'Mailing address line 1 (CMTE_ST1).';
comment on column public.fec_committees.street_2 is 'Mailing address line 2 (CMTE_ST2).';
comment on column public.fec_committees.city is 'Mailing address city (CMTE_CITY).';
comment on column public.fec_committees.address_state is 'Mailing address state (CMTE_ST), 2 characters as filed.';
comment on column public.fec_committees.zip_code is 'Mailing address ZIP code (CMTE_ZIP), as filed.';
comment on column public.fec_committees.designation is 'Committee designation (CMTE_DSGN); null when not given.';
comment on column public.fec_committees.committee_type is 'Committee type (CMTE_TP); null when not given.';
comment on column public.fec_committees.party is 'Party affiliation code (CMTE_PTY_AFFILIATION), 1-3 characters as filed.';
comment on column public.fec_committees.filing_frequency is 'Filing frequency (CMTE_FILING_FREQ).';
comment on column public.fec_committees.organization_type is 'Interest group category (ORG_TP).';
comment on column public.fec_committees.connected_organization_name is 'Connected organization (CONNECTED_ORG_NM).';
comment on column public.fec_committees.candidate_id is 'Candidate id (CAND_ID) for candidate committees. Soft reference (format CHECK + index, no FK): the candidate may not be loaded. The authoritative many-to-many relation is fec_candidate_committees.';
comment on column public.fec_committees.created_at is 'When the row was inserted.';
comment on column public.fec_committees.updated_at is 'When the row was last updated (trigger fec_committees_set_updated_at).';

comment on index public.fec_committees_committee_id_key is 'Unique FEC committee id; target of the FKs from fec_candidate_committees and fec_filings.';
create index fec_committees_committee_name_trgm_idx on public.fec_committees using gin (committee_name extensions.gin_trgm_ops);
comment on index public.fec_committees_committee_name_trgm_idx is 'Trigram GIN (trigrams are case-folded): serves query 21, committee_name ILIKE ''%part%''.';
create index fec_committees_candidate_id_idx on public.fec_committees (candidate_id);
comment on index public.fec_committees_candidate_id_idx is 'Index for the soft reference candidate_id.';

create trigger fec_committees_set_updated_at
  before update on public.fec_committees
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- fec_candidate_committees (ccl.txt)
-- ---------------------------------------------------------------------------
create table public.fec_candidate_committees (
  id uuid primary key default gen_random_uuid(),
  linkage_id bigint not null,
  candidate_id text not null references public.fec_candidates (candidate_id) on delete cascade,
  committee_id text not null references public.fec_committees (committee_id) on delete cascade,
  candidate_election_year smallint not null,
  fec_election_year smallint not null,
  committee_type public.fec_committee_type,
  designation public.fec_committee_designation,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fec_candidate_committees_linkage_id_key unique (linkage_id),
  constraint fec_candidate_committees_linkage_id_check check (linkage_id > 0),
  constraint fec_candidate_committees_candidate_id_check check (candidate_id ~ '^[HSP][0-9A-Z]{8}$'),
  constraint fec_candidate_committees_committee_id_check check (committee_id ~ '^C[0-9]{8}$'),
  constraint fec_candidate_committees_candidate_election_year_check check (candidate_election_year between 1900 and 2999),
  constraint fec_candidate_committees_fec_election_year_check check (
    fec_election_year between 1976 and 2999 and fec_election_year % 2 = 0
  )
);

comment on table public.fec_candidate_committees is 'FEC candidate-committee linkages (ccl.txt): which committees are linked to which candidate in which two-year cycle (many-to-many). Both ends are FKs: the loader loads cn and cm first and quarantines linkages whose candidate or committee is missing.';
comment on column public.fec_candidate_committees.id is 'Surrogate primary key (random UUID v4).';
comment on column public.fec_candidate_committees.linkage_id is 'FEC linkage id (LINKAGE_ID); unique, positive.';
comment on column public.fec_candidate_committees.candidate_id is 'The candidate (CAND_ID); FK to fec_candidates.candidate_id.';
comment on column public.fec_candidate_committees.committee_id is 'The committee (CMTE_ID); FK to fec_committees.committee_id.';
comment on column public.fec_candidate_committees.candidate_election_year is 'Candidate election year of the linkage (CAND_ELECTION_YR).';
comment on column public.fec_candidate_committees.fec_election_year is 'Two-year FEC cycle of the linkage (FEC_ELECTION_YR), an even year.';
comment on column public.fec_candidate_committees.committee_type is 'Committee type as recorded on the linkage (CMTE_TP); a fact of the linkage as filed for that cycle, kept even though it usually equals the committee''s current type.';
comment on column public.fec_candidate_committees.designation is 'Committee designation for this linkage (CMTE_DSGN), e.g. P principal or J joint fundraiser; a fact of the linkage, not of the committee alone.';
comment on column public.fec_candidate_committees.created_at is 'When the row was inserted.';
comment on column public.fec_candidate_committees.updated_at is 'When the row was last updated (trigger fec_candidate_committees_set_updated_at).';

create index fec_candidate_committees_candidate_id_fec_election_year_idx
  on public.fec_candidate_committees (candidate_id, fec_election_year);
comment on index public.fec_candidate_committees_candidate_id_fec_election_year_idx is 'FK index for candidate_id; serves query 20: committees of a candidate (per cycle).';
create index fec_candidate_committees_committee_id_idx on public.fec_candidate_committees (committee_id);
comment on index public.fec_candidate_committees_committee_id_idx is 'FK index for committee_id: candidates of a committee.';

create trigger fec_candidate_committees_set_updated_at
  before update on public.fec_candidate_committees
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- fec_filings
-- ---------------------------------------------------------------------------
create table public.fec_filings (
  id uuid primary key default gen_random_uuid(),
  filing_id bigint not null,
  committee_id text not null references public.fec_committees (committee_id),
  candidate_id text,
  form_type text not null,
  report_type text,
  filing_date date not null,
  coverage_start_date date,
  coverage_end_date date,
  election_cycle smallint not null,
  amendment_indicator public.fec_amendment_indicator not null default 'N',
  amends_filing_id bigint,
  receipts numeric(14,2),
  disbursements numeric(14,2),
  cash_on_hand numeric(14,2),
  debts numeric(14,2),
  processing_status public.fec_filing_processing_status not null default 'received',
  processed_at timestamptz,
  raw jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint fec_filings_filing_id_key unique (filing_id),
  -- Deferrable so a loader can insert an amendment chain in any order within
  -- one transaction (set constraints ... deferred); immediate by default.
  constraint fec_filings_amends_filing_id_fkey foreign key (amends_filing_id)
    references public.fec_filings (filing_id) deferrable initially immediate,
  constraint fec_filings_filing_id_check check (filing_id > 0),
  constraint fec_filings_committee_id_check check (committee_id ~ '^C[0-9]{8}$'),
  constraint fec_filings_candidate_id_check check (candidate_id ~ '^[HSP][0-9A-Z]{8}$'),
  constraint fec_filings_form_type_check check (form_type ~ '^[A-Z][A-Z0-9]{1,7}$'),
  constraint fec_filings_report_type_check check (report_type ~ '^[0-9A-Z]{1,4}$'),
  constraint fec_filings_coverage_check check (coverage_end_date >= coverage_start_date),
  constraint fec_filings_election_cycle_check check (election_cycle between 1976 and 2999 and election_cycle % 2 = 0),
  constraint fec_filings_amends_filing_id_check check (
    amends_filing_id is null or (amends_filing_id <> filing_id and amendment_indicator = 'A')
  ),
  constraint fec_filings_processed_at_check check (processing_status <> 'processed' or processed_at is not null),
  constraint fec_filings_raw_check check (jsonb_typeof(raw) = 'object' and pg_column_size(raw) <= 32768)
);

comment on table public.fec_filings is
$c$One row per report filed with the FEC (file number = filing_id). Amendments form a chain through amends_filing_id (each filing is amended directly at most once, so a chain is a line). The latest version of each report of a committee is one indexed query:
  select f.* from public.fec_filings f
   where f.committee_id = $1
     and not exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
   order by f.filing_date desc, f.filing_id desc;
(index scan on fec_filings_committee_id_filing_date_idx, anti-join probing fec_filings_amends_filing_id_key). Public reference data.$c$;
comment on column public.fec_filings.id is 'Surrogate primary key (random UUID v4).';
comment on column public.fec_filings.filing_id is 'FEC file number (FILE_NUM); unique, positive.';
comment on column public.fec_filings.committee_id is 'Filing committee; FK to fec_committees.committee_id (the loader quarantines filings of unknown committees). Deleting a committee with filings is refused.';
comment on column public.fec_filings.candidate_id is 'Candidate the report is about (F3/F3P), null for PAC and party reports. Soft reference (format CHECK + index, no FK).';
comment on column public.fec_filings.form_type is 'FEC form type, e.g. F3, F3X, F3P, F24, F5, F99 (open FEC vocabulary: format CHECK, not an enum).';
comment on column public.fec_filings.report_type is 'FEC report type (RPT_TP), e.g. Q1, Q2, Q3, YE, M2-M12, 12G, 30G, TER; null for forms without one (open FEC vocabulary: format CHECK).';
comment on column public.fec_filings.filing_date is 'Date the FEC received the filing.';
comment on column public.fec_filings.coverage_start_date is 'First day of the period covered.';
comment on column public.fec_filings.coverage_end_date is 'Last day of the period covered (>= coverage_start_date).';
comment on column public.fec_filings.election_cycle is 'Two-year election cycle (even year) the filing belongs to.';
comment on column public.fec_filings.amendment_indicator is 'N new, A amendment, T termination (AMNDT_IND).';
comment on column public.fec_filings.amends_filing_id is 'For an amendment (amendment_indicator A): the file number of the version it replaces, i.e. the immediately preceding version in the chain (not necessarily the original). Unique, so each version is replaced at most once. FK to fec_filings.filing_id, deferrable.';
comment on column public.fec_filings.receipts is 'Total receipts for the period (USD). May be negative: refunds and corrections exceed receipts in real filings.';
comment on column public.fec_filings.disbursements is 'Total disbursements for the period (USD). May be negative (refunds received back).';
comment on column public.fec_filings.cash_on_hand is 'Cash on hand at the close of the period (USD). May be negative as filed (overdrafts, filer errors are the official record).';
comment on column public.fec_filings.debts is 'Debts and obligations owed by the committee at the close of the period (USD). May be negative as filed.';
comment on column public.fec_filings.processing_status is 'Our pipeline state; the loader sets superseded on a version once its amendment is stored.';
comment on column public.fec_filings.processed_at is 'When processing finished; required when processing_status = processed.';
comment on column public.fec_filings.raw is 'The source record as received (JSON object, at most 32 KiB) for audit and reprocessing.';
comment on column public.fec_filings.created_at is 'When the row was inserted.';
comment on column public.fec_filings.updated_at is 'When the row was last updated (trigger fec_filings_set_updated_at).';

comment on index public.fec_filings_filing_id_key is 'Unique FEC file number; target of the amendment self-reference.';
create index fec_filings_committee_id_filing_date_idx on public.fec_filings (committee_id, filing_date desc, filing_id desc);
comment on index public.fec_filings_committee_id_filing_date_idx is 'FK index for committee_id; serves query 22 (a committee''s filings, newest first) and the outer scan of query 23.';
create unique index fec_filings_amends_filing_id_key on public.fec_filings (amends_filing_id);
comment on index public.fec_filings_amends_filing_id_key is 'FK index for amends_filing_id; unique (a version is amended at most once). Serves the anti-join of query 23 (latest version of each report).';
create index fec_filings_candidate_id_idx on public.fec_filings (candidate_id);
comment on index public.fec_filings_candidate_id_idx is 'Index for the soft reference candidate_id: filings about a candidate.';
create index fec_filings_election_cycle_committee_id_idx on public.fec_filings (election_cycle, committee_id) include (filing_id, receipts);
comment on index public.fec_filings_election_cycle_committee_id_idx is 'Serves query 24 (top committees by receipts in a cycle: sum of receipts over the latest versions, grouped by committee) as an index-only scan.';

create trigger fec_filings_set_updated_at
  before update on public.fec_filings
  for each row execute function private.set_updated_at();
