-- fec_behaviour.sql: FEC constraints against real and bad rows, the amendment
-- chain and its "latest version" query, reference rules, updated_at.
-- Real rows below are copied from data/fec/2020 (cn.txt, cm.txt, ccl.txt).
begin;
set search_path = public, extensions;
select plan(66);

-- ---------------------------------------------------------------------------
-- Real rows, including the quirks of real data, are stored
-- ---------------------------------------------------------------------------
select lives_ok($$
  insert into fec_candidates (candidate_id, name, party, office, state, district, election_year, election_years,
                              incumbent_challenger, candidate_status, principal_committee_id, street_1, street_2, city, address_state, zip_code)
  values
    ('H0AL01055', 'CARL, JERRY LEE, JR', 'REP', 'H', 'AL', '01', 2020, '{2020}', 'C', 'N', 'C00697789', 'PO BOX 852138', null, 'MOBILE', 'AL', '36685'),
    ('H0AL02087', 'ROBY, MARTHA', 'REP', 'H', 'AL', '02', 2020, '{2020}', 'I', 'C', 'C00462143', null, null, 'MONTGOMERY', null, null),
    ('H8GA04117', 'PARKS, JUAN', 'DEM', 'H', 'GA', '04', 2018, '{2018}', 'C', 'C', 'C00654699', '6067 FAIRINGTON FARMS LANE', null, 'LITHONIA', 'GA', '30038'),
    ('S4IA00103', 'YOUNG, DAVID', 'REP', 'H', 'IA', '03', 2014, '{2014}', 'O', 'P', 'C00545616', 'PO BOX 123', null, 'VAN METER', 'IA', '502610123'),
    ('P00005256', 'DENAME, MICHAEL TONY MICHAEL JR', 'AMP', 'P', 'US', '00', 2820, '{2820}', null, 'N', 'C00698399', '1870MADISON PLACE', null, 'BROOKLYN', 'NY', '11229'),
    ('H0CA00116', 'NO DISTRICT, GIVEN', 'W', 'H', 'CA', null, 2020, '{2020}', null, 'N', null, null, null, null, null, null)
$$, 'real cn.txt rows store, including a typo year (2820), an S-prefixed House candidate and missing fields');
select lives_ok($$
  insert into fec_committees (committee_id, committee_name, treasurer_name, street_1, street_2, city, address_state, zip_code,
                              designation, committee_type, party, filing_frequency, organization_type, connected_organization_name, candidate_id)
  values
    ('C00654699', 'THE COMMITTEE TO ELECT JUAN PARKS', 'MCMILLAN, EVA MRS', '6067 FAIRINGTON FARMS LANE', null, 'LITHONIA', 'GA', '300381547', 'P', 'H', 'DEM', 'Q', null, 'NONE', 'H8GA04117'),
    ('C00035204', 'PETROLEUM MARKETERS ASSOCIATION OF AMERICAN\SMALL BUSINESS COMMITTEE', 'STONE, SHERRI', '1901 NORTH FORT MYER DRIVE', 'SUITE 500', 'ARLINGTON', 'VA', '222091604', 'U', 'Q', 'UNK', 'M', 'T', 'PETROLEUM MARKETERS ASSOCIATION OF AMERICA/SMALL BUSINESS COMMITTEE', null),
    ('C00546457', 'AMERICANS FOR DOUG TRUAX', 'SHERRY GASKILL', '1901 BUTTERFIELD RD', 'STE 120', 'DOWNERS GROVE', '14', '60515', 'P', 'S', null, 'Q', null, null, 'S4IL00438'),
    ('C00690214', 'FREEDOM FOR ALL 777', null, null, null, null, null, null, null, null, null, 'T', null, null, null),
    ('C00409011', '55TH PRESIDENTIAL INAUGURAL COMMITTEE', 'GREGORY JENKINS', '330 C STREET SW', null, 'WASHINGTON', 'DC', '20599', 'U', 'X', null, 'Q', 'I', null, null),
    ('C00153684', 'TALLON FOR CONGRESS', 'WILSON M MACEWEN', '5 BROAD ST', null, 'SUMTER', 'SC', '291501', 'P', 'H', 'DEM', 'Q', null, null, 'H2SC06019')
$$, 'real cm.txt rows store: a backslash in a name, address state 14, no type or designation, org type I, 6-digit ZIP');
select is((select committee_name from fec_committees where committee_id = 'C00035204'),
  E'PETROLEUM MARKETERS ASSOCIATION OF AMERICAN\\SMALL BUSINESS COMMITTEE', 'the backslash is kept verbatim');
select lives_ok($$
  insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year, committee_type, designation)
  values (223712, 'H8GA04117', 'C00654699', 2018, 2020, 'H', 'P')
$$, 'a real ccl.txt linkage stores');

-- ---------------------------------------------------------------------------
-- What the constraints reject (each mirrors a real or plausible bad row)
-- ---------------------------------------------------------------------------
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H8GA04117', 'PARKS, JUAN', 'H', 'GA', 2018)$$,
  '23505', null, 'the duplicated cn.txt row (H8GA04117) is refused as a duplicate');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('C00027466', 'X', 'H', 'GA', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_candidate_id_check"', 'a committee id is not a candidate id');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H1234567', 'X', 'H', 'GA', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_candidate_id_check"', 'an 8-character candidate id is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('h0al01055', 'X', 'H', 'GA', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_candidate_id_check"', 'a lower-case candidate id is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, party, office, state, election_year) values ('H0XX00001', 'X', 'DEMO', 'H', 'GA', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_party_check"', 'a party code longer than 3 is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H0XX00001', 'X', 'H', 'Ga', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_state_check"', 'an office state must be 2 upper-case letters');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, district, election_year) values ('H0XX00001', 'X', 'H', 'GA', '4', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_district_check"', 'a district must be 2 digits');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H0XX00001', 'X', 'H', 'GA', 20)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_election_year_check"', 'a two-digit year is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year, election_years) values ('H0XX00001', 'X', 'H', 'GA', 2018, '{2018,null}')$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_election_years_check"', 'a null in the year history is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year, principal_committee_id) values ('H0XX00001', 'X', 'H', 'GA', 2018, 'H0AL01055')$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_principal_committee_id_check"', 'the soft reference still has to look like a committee id');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H0XX00001', '', 'H', 'GA', 2018)$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_name_check"', 'an empty name is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year) values ('H0XX00001', 'X', 'G', 'GA', 2018)$$,
  '22P02', null, 'an office outside H, S, P is refused');
select throws_ok($$insert into fec_candidates (candidate_id, name, office, state, election_year, zip_code) values ('H0XX00001', 'X', 'H', 'GA', 2018, '12345-67890')$$,
  '23514', 'new row for relation "fec_candidates" violates check constraint "fec_candidates_zip_code_check"', 'a ZIP longer than 10 is refused');

select throws_ok($$insert into fec_committees (committee_id, committee_name, candidate_id) values ('C00637900', 'MOOLENAAR VICTORY FUND', 'C00075820')$$,
  '23514', 'new row for relation "fec_committees" violates check constraint "fec_committees_candidate_id_check"',
  'the real cm.txt row whose CAND_ID is a committee id is refused as is (loader stores it with candidate_id null and reports the field)');
select throws_ok($$insert into fec_committees (committee_id, committee_name) values ('C0001', 'X')$$,
  '23514', 'new row for relation "fec_committees" violates check constraint "fec_committees_committee_id_check"', 'a short committee id is refused');
select throws_ok($$insert into fec_committees (committee_id, committee_name, committee_type) values ('C00000001', 'X', 'A')$$,
  '22P02', null, 'A is not a committee type');
select throws_ok($$insert into fec_committees (committee_id, committee_name, designation) values ('C00000001', 'X', 'Q')$$,
  '22P02', null, 'Q is not a designation');
select throws_ok($$insert into fec_committees (committee_id, committee_name, address_state) values ('C00000001', 'X', 'Ohio')$$,
  '23514', 'new row for relation "fec_committees" violates check constraint "fec_committees_address_state_check"', 'an address state longer than 2 is refused');
select throws_ok($$insert into fec_committees (committee_id, committee_name) values ('C00000001', repeat('N', 201))$$,
  '23514', 'new row for relation "fec_committees" violates check constraint "fec_committees_committee_name_check"', 'a committee name over 200 chars is refused');

select throws_ok($$insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year) values (224898, 'C00075820', 'C00654699', 2018, 2020)$$,
  '23514', 'new row for relation "fec_candidate_committees" violates check constraint "fec_candidate_committees_candidate_id_check"',
  'a real ccl.txt row linking two committees is refused (not a candidate linkage)');
select throws_ok($$insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year) values (224110, 'H8PA13158', 'C00654699', 2018, 2020)$$,
  '23503', null, 'a real ccl.txt row whose candidate is not loaded is refused (quarantined by the loader)');
select throws_ok($$insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year) values (9, 'H8GA04117', 'C99999999', 2018, 2020)$$,
  '23503', null, 'a linkage to a committee not loaded is refused');
select throws_ok($$insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year) values (10, 'H8GA04117', 'C00654699', 2018, 2019)$$,
  '23514', 'new row for relation "fec_candidate_committees" violates check constraint "fec_candidate_committees_fec_election_year_check"', 'an FEC cycle is an even year');
select throws_ok($$insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year) values (223712, 'H8GA04117', 'C00654699', 2018, 2020)$$,
  '23505', null, 'linkage_id is unique');

-- ---------------------------------------------------------------------------
-- Filings and the amendment chain
-- ---------------------------------------------------------------------------
-- Committee C00654699: report Q1 filed (1001), amended (1002 amends 1001), amended again (1003 amends 1002);
-- report Q2 filed once (1010); a termination report (1020).
insert into fec_filings (filing_id, committee_id, form_type, report_type, filing_date, coverage_start_date, coverage_end_date,
                         election_cycle, amendment_indicator, amends_filing_id, receipts, disbursements, cash_on_hand, debts) values
  (1001, 'C00654699', 'F3', 'Q1', '2019-04-15', '2019-01-01', '2019-03-31', 2020, 'N', null, 1000.00, 200.00, 800.00, 0),
  (1002, 'C00654699', 'F3', 'Q1', '2019-05-01', '2019-01-01', '2019-03-31', 2020, 'A', 1001, 1100.00, 200.00, 900.00, 0),
  (1003, 'C00654699', 'F3', 'Q1', '2019-06-01', '2019-01-01', '2019-03-31', 2020, 'A', 1002, 1150.00, 200.00, 950.00, 0),
  (1010, 'C00654699', 'F3', 'Q2', '2019-07-15', '2019-04-01', '2019-06-30', 2020, 'N', null, 500.00, -25.50, 1425.50, 10.00),
  (1020, 'C00654699', 'F3', 'TER', '2019-08-01', '2019-07-01', '2019-07-31', 2020, 'T', null, 0, 1425.50, 0, 0);
select results_eq(
  $$select f.filing_id from fec_filings f
     where f.committee_id = 'C00654699'
       and not exists (select 1 from fec_filings a where a.amends_filing_id = f.filing_id)
     order by f.filing_date desc, f.filing_id desc$$,
  array[1020::bigint, 1010, 1003],
  'the latest version of each report: the head of every amendment chain, newest first');
select is((select disbursements from fec_filings where filing_id = 1010), -25.50::numeric(14,2), 'negative totals (refunds) are stored');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, amendment_indicator, amends_filing_id) values (1004, 'C00654699', 'F3', '2019-06-02', 2020, 'A', 1002)$$,
  '23505', null, 'a version can be amended only once (the chain is a line)');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, amendment_indicator, amends_filing_id) values (1005, 'C00654699', 'F3', '2019-06-02', 2020, 'A', 99999)$$,
  '23503', null, 'an amendment of an unknown filing is refused');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, amendment_indicator, amends_filing_id) values (1006, 'C00654699', 'F3', '2019-06-02', 2020, 'N', 1010)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_amends_filing_id_check"', 'only an A filing may amend');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, amendment_indicator, amends_filing_id) values (1007, 'C00654699', 'F3', '2019-06-02', 2020, 'A', 1007)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_amends_filing_id_check"', 'a filing cannot amend itself');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle) values (1008, 'C99999999', 'F3', '2019-06-02', 2020)$$,
  '23503', null, 'a filing of an unknown committee is refused (quarantined by the loader)');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, coverage_start_date, coverage_end_date, election_cycle) values (1009, 'C00654699', 'F3', '2019-06-02', '2019-03-31', '2019-01-01', 2020)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_coverage_check"', 'coverage cannot end before it starts');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle) values (1011, 'C00654699', 'F3', '2019-06-02', 2019)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_election_cycle_check"', 'a cycle is an even year');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle) values (1012, 'C00654699', 'f3x', '2019-06-02', 2020)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_form_type_check"', 'a form type is upper case');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, raw) values (1013, 'C00654699', 'F3', '2019-06-02', 2020, '["not", "an", "object"]')$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_raw_check"', 'raw must be a JSON object');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, processing_status) values (1014, 'C00654699', 'F3', '2019-06-02', 2020, 'processed')$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_processed_at_check"', 'processed needs processed_at');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, receipts) values (1015, 'C00654699', 'F3', '2019-06-02', 2020, 1000000000000.00)$$,
  '22003', null, 'money beyond numeric(14,2) is refused');
select throws_ok($$insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle) values (0, 'C00654699', 'F3', '2019-06-02', 2020)$$,
  '23514', 'new row for relation "fec_filings" violates check constraint "fec_filings_filing_id_check"', 'a file number is positive');

-- The chain FK is deferrable: a loader may insert an amendment before its original.
set constraints fec_filings_amends_filing_id_fkey deferred;
insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, amendment_indicator, amends_filing_id)
  values (2002, 'C00654699', 'F3X', '2020-02-01', 2020, 'A', 2001);
insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle) values (2001, 'C00654699', 'F3X', '2020-01-01', 2020);
select lives_ok('set constraints fec_filings_amends_filing_id_fkey immediate', 'with the chain FK deferred, an out-of-order chain checks out');

select throws_ok($$delete from fec_committees where committee_id = 'C00654699'$$,
  '23503', null, 'a committee with filings cannot be deleted');
delete from fec_candidates where candidate_id = 'H8GA04117';
select is((select count(*)::integer from fec_candidate_committees where candidate_id = 'H8GA04117'), 0, 'deleting a candidate deletes its linkages');

-- ---------------------------------------------------------------------------
-- Indexes serve the catalogue query shapes (planner forced off seq scans on this tiny data)
-- ---------------------------------------------------------------------------
create function pg_temp.plan_of(query text) returns text language plpgsql as $$
declare line text; result text := '';
begin
  for line in execute 'explain (costs off) ' || query loop result := result || line || E'\n'; end loop;
  return result;
end;
$$;
set local enable_seqscan = off;
select matches(pg_temp.plan_of($$select * from public.fec_candidates where name ilike '%roby%'$$),
  'fec_candidates_name_trgm_idx', 'case-insensitive partial candidate search uses the trigram index');
select matches(pg_temp.plan_of($$select * from public.fec_committees where committee_name ilike '%parks%'$$),
  'fec_committees_committee_name_trgm_idx', 'committee name search uses the trigram index');
select matches(pg_temp.plan_of($$select * from public.fec_candidates where state = 'AL' and office = 'H' and election_year = 2020$$),
  'fec_candidates_state_office_election_year_idx', 'candidates by state, office and year use their index');
select matches(pg_temp.plan_of($$select * from public.fec_filings f where f.committee_id = 'C00654699'
     and not exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
     order by f.filing_date desc, f.filing_id desc$$),
  'fec_filings_amends_filing_id_key', 'the latest-version query probes the amendment index');
select matches(pg_temp.plan_of($$select f.filing_id, f.report_type, f.filing_date, f.amendment_indicator from public.fec_filings f
     where f.committee_id = 'C00654699' and not exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
     order by f.filing_date desc, f.filing_id desc$$),
  'Index Only Scan using fec_filings_committee_id_filing_date_idx', 'query 23 reads the committee''s filings from the index alone (00012)');
select matches(pg_temp.plan_of($$select filing_id, form_type, report_type, filing_date, amendment_indicator, receipts from public.fec_filings
     where committee_id = 'C00654699' order by filing_date desc, filing_id desc limit 100$$),
  'Index Only Scan using fec_filings_committee_id_filing_date_idx', 'query 22 is index-only too');
select matches(pg_temp.plan_of($$select committee_id, sum(receipts) from public.fec_filings where election_cycle = 2020 group by committee_id order by 2 desc limit 50$$),
  'Index Only Scan using fec_filings_election_cycle_committee_id_idx', 'top committees by receipts is an index-only scan');
select is((select count(*)::integer from fec_candidates where name ilike '%roby%'), 1, 'the search finds ROBY, MARTHA case-insensitively');
reset enable_seqscan;

-- ---------------------------------------------------------------------------
-- updated_at
-- ---------------------------------------------------------------------------
update fec_candidates set updated_at = '2000-01-01+00' where candidate_id = 'H0AL01055';
select is((select updated_at from fec_candidates where candidate_id = 'H0AL01055'), now(), 'candidates: an UPDATE (even of updated_at) sets now()');
insert into fec_candidate_committees (linkage_id, candidate_id, committee_id, candidate_election_year, fec_election_year, updated_at)
  values (77, 'H0AL01055', 'C00153684', 2020, 2020, '2000-01-01+00');
update fec_candidate_committees set designation = 'A' where linkage_id = 77;
select is((select updated_at from fec_candidate_committees where linkage_id = 77), now(), 'linkages: UPDATE refreshes updated_at');
insert into fec_committees (committee_id, committee_name, updated_at) values ('C00000077', 'OLD', '2000-01-01+00');
update fec_committees set committee_name = 'NEW' where committee_id = 'C00000077';
select is((select updated_at from fec_committees where committee_id = 'C00000077'), now(), 'committees: UPDATE refreshes updated_at');
insert into fec_filings (filing_id, committee_id, form_type, filing_date, election_cycle, updated_at)
  values (7777, 'C00000077', 'F3', '2020-01-01', 2020, '2000-01-01+00');
update fec_filings set processing_status = 'processed', processed_at = now() where filing_id = 7777;
select is((select updated_at from fec_filings where filing_id = 7777), now(), 'filings: UPDATE refreshes updated_at');

-- ---------------------------------------------------------------------------
-- Access: public read, admin write
-- ---------------------------------------------------------------------------
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select results_eq('select count(*)::integer from fec_candidates', array[5], 'anon reads every candidate');
select throws_ok($$update fec_committees set committee_name = 'X'$$, '42501', null, 'anon cannot update');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated","user_metadata":{"role":"admin"}}', true);
select results_eq('select count(*)::integer from fec_filings', array[8], 'a user reads every filing');
select throws_ok($$insert into fec_committees (committee_id, committee_name) values ('C00000099', 'X')$$,
  '42501', null, 'a user (even claiming admin in user_metadata) cannot insert');
select results_eq($$with u as (update fec_candidates set name = 'X' returning 1) select count(*)::integer from u$$,
  array[0], 'a user''s UPDATE changes nothing');
select results_eq($$with d as (delete from fec_candidate_committees returning 1) select count(*)::integer from d$$,
  array[0], 'a user''s DELETE removes nothing');
reset role;

set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"cccccccc-0000-4000-8000-000000000003","role":"authenticated","app_metadata":{"role":"admin"}}', true);
select lives_ok($$insert into fec_committees (committee_id, committee_name) values ('C00000099', 'ADMIN MADE')$$, 'an admin inserts');
select results_eq($$with u as (update fec_committees set treasurer_name = 'T' where committee_id = 'C00000099' returning 1) select count(*)::integer from u$$,
  array[1], 'an admin updates');
select results_eq($$with d as (delete from fec_committees where committee_id = 'C00000099' returning 1) select count(*)::integer from d$$,
  array[1], 'an admin deletes');
reset role;

select * from finish();
rollback;
