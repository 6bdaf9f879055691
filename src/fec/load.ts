/**
 * `load-fec DIR`: load real FEC bulk files into the FEC tables.
 *
 * One transaction: COPY every file into temporary staging tables, classify
 * each staged row with SQL (bad code, bad value, dangling reference,
 * duplicate, no data), upsert the good rows set-based (`insert ... on
 * conflict do update ... where distinct`), record the run in ingestion_logs
 * and advance the ingestion cursor (compare-and-set). A malformed file
 * (column count, date or number syntax) aborts before anything is written.
 *
 * Mapping (schema: sql/00004-fec.sql):
 *   cn     -> fec_candidates (election_years accumulates across loads)
 *   cm     -> fec_committees
 *   ccl    -> fec_candidate_committees (both ends must exist: FK + quarantine)
 *   itpas2 -> fec_filings, one row per FILE_NUM: committee = CMTE_ID,
 *             amendment_indicator = AMNDT_IND, report_type = RPT_TP,
 *             filing_date = the scan date of the earliest 18-digit IMAGE_NUM
 *             (YYYYMMDD...), else the latest TRANSACTION_DT; form_type is not
 *             in the file and is derived (24/48-hour reports F24, else F3 for
 *             House/Senate, F3P presidential, F3X otherwise: raw.form_type_derived);
 *             amendments are chained to the previous FILE_NUM of the same
 *             committee, report type and cycle. Transactions themselves are
 *             not stored (no table for them): a line is "stored" when its
 *             filing is stored (raw.transactions counts them).
 *   webk   -> fec_filings summary rows: the FEC's cycle-to-date totals of a
 *             committee (TTL_RECEIPTS, TTL_DISB, COH_COP, DEBTS_OWED_BY) have
 *             no FILE_NUM, so they are stored as one row per committee and
 *             cycle with form_type 'WEBK' and a synthetic filing_id in a
 *             reserved range (9e15 + cycle * 1e8 + committee number) that no
 *             FEC file number reaches. A row with no coverage date carries no
 *             totals (no report filed yet) and is reported as no_data.
 * The cycle is derived from the data (even-up year of the filing / coverage
 * dates, FEC_ELECTION_YR of the linkages), never from the directory name.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';
import type { ConnectionTarget } from '../postgres/index.ts';
import { copyFrom, pgClient } from './copy.ts';
import { kindOfFile, loadOrder, type FecFileKind } from './formats.ts';
import { copyRows, surveyFecFile, type SurveyedFile } from './parse.ts';

export const fecSource = 'fec_bulk';

export type RejectKind = 'bad_code' | 'bad_value' | 'dangling_reference' | 'duplicate' | 'inconsistent' | 'no_data';

export interface RejectedRow {
  readonly file: string;
  readonly line: number;
  readonly kind: RejectKind;
  readonly reason: string;
}

export interface TableOutcome {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
}

export interface FecFileResult {
  readonly file: string;
  readonly kind: FecFileKind;
  readonly rows: number;
  readonly sha256: string;
  /** Lines stored (or folded into a stored filing), never counting rejected ones. */
  readonly stored: number;
  readonly rejected: number;
}

export interface FecLoadResult {
  readonly directory: string;
  readonly files: readonly FecFileResult[];
  readonly cycle: number | null;
  readonly perTable: Readonly<Record<'fec_candidates' | 'fec_committees' | 'fec_candidate_committees' | 'fec_filings', TableOutcome>>;
  readonly rejected: readonly RejectedRow[];
  readonly idempotencyKey: string;
  readonly replay: boolean;
  readonly runId: string | null;
  readonly status: 'succeeded' | 'partial' | 'replay';
  readonly inputRows: number;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
}

export interface FecLoadOptions {
  readonly directory: string;
}

interface FoundFile {
  readonly kind: FecFileKind;
  readonly path: string;
}

export function findFecFiles(directory: string): FoundFile[] {
  const dir = resolve(directory);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
  } catch {
    throw new SchemaproofError({ code: 'directory_missing', path: dir, role: 'FEC data' });
  }
  const found: FoundFile[] = [];
  for (const name of names.sort()) {
    const kind = kindOfFile(name);
    if (kind) found.push({ kind, path: join(dir, name) });
  }
  const seen = new Set<FecFileKind>();
  for (const file of found) {
    if (seen.has(file.kind)) {
      throw new SchemaproofError({ code: 'input_invalid', file: file.path, line: 0, detail: `more than one ${file.kind} file in ${dir}` });
    }
    seen.add(file.kind);
  }
  if (found.length === 0) {
    throw new SchemaproofError({ code: 'input_invalid', file: dir, line: 0, detail: 'no FEC bulk files (cn*.txt, cm*.txt, ccl*.txt, itpas2*.txt, webk*.txt) found' });
  }
  return found.sort((a, b) => loadOrder.indexOf(a.kind) - loadOrder.indexOf(b.kind));
}

/** sha256 over the sorted "kind:sha256" lines of the files: the run's idempotency key. */
export function idempotencyKeyFor(files: readonly { kind: string; sha256: string }[]): string {
  const lines = files
    .map((file) => `${file.kind}:${file.sha256}`)
    .sort()
    .join('\n');
  return `fec_bulk:${createHash('sha256').update(lines).digest('hex')}`;
}

const stagingDdl: Readonly<Record<FecFileKind, string>> = {
  cn: `create temp table stage_cn (line int, cand_id text, cand_name text, cand_pty_affiliation text, cand_election_yr text,
        cand_office_st text, cand_office text, cand_office_district text, cand_ici text, cand_status text, cand_pcc text,
        cand_st1 text, cand_st2 text, cand_city text, cand_st text, cand_zip text) on commit drop`,
  cm: `create temp table stage_cm (line int, cmte_id text, cmte_nm text, tres_nm text, cmte_st1 text, cmte_st2 text,
        cmte_city text, cmte_st text, cmte_zip text, cmte_dsgn text, cmte_tp text, cmte_pty_affiliation text,
        cmte_filing_freq text, org_tp text, connected_org_nm text, cand_id text) on commit drop`,
  ccl: `create temp table stage_ccl (line int, cand_id text, cand_election_yr text, fec_election_yr text, cmte_id text,
        cmte_tp text, cmte_dsgn text, linkage_id text) on commit drop`,
  itpas2: `create temp table stage_itpas2 (line int, cmte_id text, amndt_ind text, rpt_tp text, transaction_pgi text,
        image_num text, transaction_tp text, entity_tp text, name text, city text, state text, zip_code text,
        employer text, occupation text, transaction_dt text, transaction_amt text, other_id text, cand_id text,
        tran_id text, file_num text, memo_cd text, memo_text text, sub_id text) on commit drop`,
  webk: `create temp table stage_webk (line int, cmte_id text, cmte_nm text, cmte_tp text, cmte_dsgn text,
        cmte_filing_freq text, ttl_receipts text, trans_from_aff text, indv_contrib text, other_pol_cmte_contrib text,
        cand_contrib text, cand_loans text, ttl_loans_received text, ttl_disb text, tranf_to_aff text,
        indv_refunds text, other_pol_cmte_refunds text, cand_loan_repay text, loan_repay text, coh_bop text,
        coh_cop text, debts_owed_by text, nonfed_trans_received text, contrib_to_other_cmte text, ind_exp text,
        pty_coord_exp text, nonfed_share_exp text, cvg_end_dt text) on commit drop`,
};

const copyText: Readonly<Record<FecFileKind, string>> = {
  cn: 'copy stage_cn from stdin',
  cm: 'copy stage_cm from stdin',
  ccl: 'copy stage_ccl from stdin',
  itpas2: 'copy stage_itpas2 from stdin',
  webk: 'copy stage_webk from stdin',
};

/**
 * Every staged row gets a verdict in one table: (kind, line, reject_kind, reason).
 * Rows without a verdict row are stored. Checks mirror the table CHECKs and
 * enum types (read from the catalog: enum_range), so the upserts never fail.
 */
const verdictSql: Readonly<Record<FecFileKind, string>> = {
  cn: `
    insert into fec_verdicts (kind, line, reject_kind, reason)
    select 'cn', s.line, v.k, v.r
      from stage_cn s
      cross join lateral (
        select case when x.codes <> '' then 'bad_code' else 'bad_value' end as k, nullif(concat_ws('; ', nullif(x.codes, ''), nullif(x.values_, '')), '') as r
          from (select
            concat_ws('; ',
              case when s.cand_id is null or s.cand_id !~ '^[HSP][0-9A-Z]{8}$' then 'CAND_ID "' || coalesce(s.cand_id, '') || '" is not an FEC candidate id' end,
              case when s.cand_office is null or s.cand_office not in (select e::text from unnest(enum_range(null::public.fec_office)) e) then 'CAND_OFFICE "' || coalesce(s.cand_office, '') || '" is not H, S or P' end,
              case when s.cand_ici is not null and s.cand_ici not in (select e::text from unnest(enum_range(null::public.fec_incumbent_challenger)) e) then 'CAND_ICI "' || s.cand_ici || '" is not I, C or O' end,
              case when s.cand_status is not null and s.cand_status not in (select e::text from unnest(enum_range(null::public.fec_candidate_status)) e) then 'CAND_STATUS "' || s.cand_status || '" is not C, F, N or P' end,
              case when s.cand_office_st is null or s.cand_office_st !~ '^[A-Z]{2}$' then 'CAND_OFFICE_ST "' || coalesce(s.cand_office_st, '') || '" is not a state code' end,
              case when s.cand_office_district is not null and s.cand_office_district !~ '^[0-9]{2}$' then 'CAND_OFFICE_DISTRICT "' || s.cand_office_district || '" is not two digits' end,
              case when s.cand_pcc is not null and s.cand_pcc !~ '^C[0-9]{8}$' then 'CAND_PCC "' || s.cand_pcc || '" is not an FEC committee id' end,
              case when s.cand_pty_affiliation is not null and char_length(s.cand_pty_affiliation) > 3 then 'CAND_PTY_AFFILIATION "' || s.cand_pty_affiliation || '" longer than 3' end
            ) as codes,
            concat_ws('; ',
              case when s.cand_name is null then 'CAND_NAME is empty' when char_length(s.cand_name) > 200 then 'CAND_NAME longer than 200' end,
              case when s.cand_election_yr is null or s.cand_election_yr::int not between 1900 and 2999 then 'CAND_ELECTION_YR "' || coalesce(s.cand_election_yr, '') || '" is not a year' end,
              case when char_length(s.cand_st1) > 200 or char_length(s.cand_st2) > 200 or char_length(s.cand_city) > 100 or char_length(s.cand_zip) > 10 then 'address field too long' end,
              case when s.cand_st is not null and s.cand_st !~ '^[A-Z0-9]{2}$' then 'CAND_ST "' || s.cand_st || '" is not a 2-character state' end
            ) as values_) x
      ) v
     where v.r is not null`,
  cm: `
    insert into fec_verdicts (kind, line, reject_kind, reason)
    select 'cm', s.line, v.k, v.r
      from stage_cm s
      cross join lateral (
        select case when x.codes <> '' then 'bad_code' else 'bad_value' end as k, nullif(concat_ws('; ', nullif(x.codes, ''), nullif(x.values_, '')), '') as r
          from (select
            concat_ws('; ',
              case when s.cmte_id is null or s.cmte_id !~ '^C[0-9]{8}$' then 'CMTE_ID "' || coalesce(s.cmte_id, '') || '" is not an FEC committee id' end,
              case when s.cmte_dsgn is not null and s.cmte_dsgn not in (select e::text from unnest(enum_range(null::public.fec_committee_designation)) e) then 'CMTE_DSGN "' || s.cmte_dsgn || '" is not a designation code' end,
              case when s.cmte_tp is not null and s.cmte_tp not in (select e::text from unnest(enum_range(null::public.fec_committee_type)) e) then 'CMTE_TP "' || s.cmte_tp || '" is not a committee type code' end,
              case when s.cmte_filing_freq is not null and s.cmte_filing_freq not in (select e::text from unnest(enum_range(null::public.fec_filing_frequency)) e) then 'CMTE_FILING_FREQ "' || s.cmte_filing_freq || '" is not a filing frequency code' end,
              case when s.org_tp is not null and s.org_tp not in (select e::text from unnest(enum_range(null::public.fec_organization_type)) e) then 'ORG_TP "' || s.org_tp || '" is not an organization type code' end,
              case when s.cand_id is not null and s.cand_id !~ '^[HSP][0-9A-Z]{8}$' then 'CAND_ID "' || s.cand_id || '" is not an FEC candidate id' end,
              case when s.cmte_pty_affiliation is not null and char_length(s.cmte_pty_affiliation) > 3 then 'CMTE_PTY_AFFILIATION "' || s.cmte_pty_affiliation || '" longer than 3' end
            ) as codes,
            concat_ws('; ',
              case when s.cmte_nm is null then 'CMTE_NM is empty' when char_length(s.cmte_nm) > 200 then 'CMTE_NM longer than 200' end,
              case when char_length(s.tres_nm) > 200 or char_length(s.connected_org_nm) > 200 then 'TRES_NM or CONNECTED_ORG_NM longer than 200' end,
              case when char_length(s.cmte_st1) > 200 or char_length(s.cmte_st2) > 200 or char_length(s.cmte_city) > 100 or char_length(s.cmte_zip) > 10 then 'address field too long' end,
              case when s.cmte_st is not null and s.cmte_st !~ '^[A-Z0-9]{2}$' then 'CMTE_ST "' || s.cmte_st || '" is not a 2-character state' end
            ) as values_) x
      ) v
     where v.r is not null`,
  ccl: `
    insert into fec_verdicts (kind, line, reject_kind, reason)
    select 'ccl', s.line, v.k, v.r
      from stage_ccl s
      cross join lateral (
        select case when x.codes <> '' then 'bad_code' when x.values_ <> '' then 'bad_value' else 'dangling_reference' end as k,
               nullif(concat_ws('; ', nullif(x.codes, ''), nullif(x.values_, ''), nullif(x.refs, '')), '') as r
          from (select
            concat_ws('; ',
              case when s.cand_id is null or s.cand_id !~ '^[HSP][0-9A-Z]{8}$' then 'CAND_ID "' || coalesce(s.cand_id, '') || '" is not an FEC candidate id' end,
              case when s.cmte_id is null or s.cmte_id !~ '^C[0-9]{8}$' then 'CMTE_ID "' || coalesce(s.cmte_id, '') || '" is not an FEC committee id' end,
              case when s.cmte_tp is not null and s.cmte_tp not in (select e::text from unnest(enum_range(null::public.fec_committee_type)) e) then 'CMTE_TP "' || s.cmte_tp || '" is not a committee type code' end,
              case when s.cmte_dsgn is not null and s.cmte_dsgn not in (select e::text from unnest(enum_range(null::public.fec_committee_designation)) e) then 'CMTE_DSGN "' || s.cmte_dsgn || '" is not a designation code' end
            ) as codes,
            concat_ws('; ',
              case when s.linkage_id is null or s.linkage_id::bigint <= 0 then 'LINKAGE_ID missing' end,
              case when s.cand_election_yr is null or s.cand_election_yr::int not between 1900 and 2999 then 'CAND_ELECTION_YR "' || coalesce(s.cand_election_yr, '') || '" is not a year' end,
              case when s.fec_election_yr is null or s.fec_election_yr::int not between 1976 and 2999 or s.fec_election_yr::int % 2 <> 0 then 'FEC_ELECTION_YR "' || coalesce(s.fec_election_yr, '') || '" is not an even cycle year' end
            ) as values_,
            concat_ws('; ',
              case when s.cand_id is not null and not exists (select 1 from public.fec_candidates c where c.candidate_id = s.cand_id) then 'CAND_ID ' || s.cand_id || ' is not in the candidate master' end,
              case when s.cmte_id is not null and not exists (select 1 from public.fec_committees c where c.committee_id = s.cmte_id) then 'CMTE_ID ' || s.cmte_id || ' is not in the committee master' end
            ) as refs) x
      ) v
     where v.r is not null`,
  itpas2: `
    insert into fec_verdicts (kind, line, reject_kind, reason)
    select 'itpas2', s.line, v.k, v.r
      from stage_itpas2 s
      left join lateral (
        select h.cmte_id, h.amndt_ind, h.rpt_tp, h.line as first_line from stage_itpas2 h
         where h.file_num = s.file_num order by h.line limit 1
      ) head on true
      cross join lateral (
        select case when x.codes <> '' then 'bad_code' when x.values_ <> '' then 'bad_value' when x.incons <> '' then 'inconsistent' else 'dangling_reference' end as k,
               nullif(concat_ws('; ', nullif(x.codes, ''), nullif(x.values_, ''), nullif(x.incons, ''), nullif(x.refs, '')), '') as r
          from (select
            concat_ws('; ',
              case when s.cmte_id is null or s.cmte_id !~ '^C[0-9]{8}$' then 'CMTE_ID "' || coalesce(s.cmte_id, '') || '" is not an FEC committee id' end,
              case when s.amndt_ind is null or s.amndt_ind not in (select e::text from unnest(enum_range(null::public.fec_amendment_indicator)) e) then 'AMNDT_IND "' || coalesce(s.amndt_ind, '') || '" is not N, A or T' end,
              case when s.rpt_tp is not null and s.rpt_tp !~ '^[0-9A-Z]{1,4}$' then 'RPT_TP "' || s.rpt_tp || '" is not a report type code' end
            ) as codes,
            concat_ws('; ',
              case when s.file_num is null or s.file_num::bigint <= 0 then 'FILE_NUM missing' end,
              case when s.transaction_dt is null and (s.image_num is null or length(s.image_num) <> 18) then 'no TRANSACTION_DT and no 18-digit IMAGE_NUM to date the filing' end
            ) as values_,
            case when head.first_line <> s.line and (head.cmte_id, head.amndt_ind, head.rpt_tp) is distinct from (s.cmte_id, s.amndt_ind, s.rpt_tp)
                 then 'FILE_NUM ' || s.file_num || ' has CMTE_ID/AMNDT_IND/RPT_TP ' || concat_ws('/', head.cmte_id, head.amndt_ind, head.rpt_tp) || ' on line ' || head.first_line || ' but ' || concat_ws('/', s.cmte_id, s.amndt_ind, s.rpt_tp) || ' here' else '' end as incons,
            case when s.cmte_id is not null and not exists (select 1 from public.fec_committees c where c.committee_id = s.cmte_id)
                 then 'CMTE_ID ' || s.cmte_id || ' (filer of FILE_NUM ' || coalesce(s.file_num, '?') || ') is not in the committee master' else '' end as refs) x
      ) v
     where v.r is not null`,
  webk: `
    insert into fec_verdicts (kind, line, reject_kind, reason)
    select 'webk', s.line, v.k, v.r
      from stage_webk s
      cross join lateral (
        select case when x.codes <> '' then 'bad_code' when x.refs <> '' then 'dangling_reference' else 'no_data' end as k,
               nullif(concat_ws('; ', nullif(x.codes, ''), nullif(x.refs, ''), nullif(x.nodata, '')), '') as r
          from (select
            case when s.cmte_id is null or s.cmte_id !~ '^C[0-9]{8}$' then 'CMTE_ID "' || coalesce(s.cmte_id, '') || '" is not an FEC committee id' else '' end as codes,
            case when s.cmte_id is not null and not exists (select 1 from public.fec_committees c where c.committee_id = s.cmte_id)
                 then 'CMTE_ID ' || s.cmte_id || ' is not in the committee master' else '' end as refs,
            case when s.cvg_end_dt is null then 'no CVG_END_DT: the committee has filed no report in the cycle yet, there are no totals to store' else '' end as nodata) x
      ) v
     where v.r is not null`,
};

/** Duplicates of a key within one file: the last line wins, earlier ones are reported. */
const duplicateSql: Partial<Record<FecFileKind, string>> = {
  cn: `insert into fec_verdicts (kind, line, reject_kind, reason)
       select 'cn', d.line, 'duplicate', 'CAND_ID ' || d.cand_id || ' appears again on line ' || d.last_line || ', which is stored'
         from (select s.line, s.cand_id, max(s.line) over (partition by s.cand_id) as last_line
                 from stage_cn s where not exists (select 1 from fec_verdicts v where v.kind = 'cn' and v.line = s.line)) d
        where d.line <> d.last_line`,
  cm: `insert into fec_verdicts (kind, line, reject_kind, reason)
       select 'cm', d.line, 'duplicate', 'CMTE_ID ' || d.cmte_id || ' appears again on line ' || d.last_line || ', which is stored'
         from (select s.line, s.cmte_id, max(s.line) over (partition by s.cmte_id) as last_line
                 from stage_cm s where not exists (select 1 from fec_verdicts v where v.kind = 'cm' and v.line = s.line)) d
        where d.line <> d.last_line`,
  ccl: `insert into fec_verdicts (kind, line, reject_kind, reason)
       select 'ccl', d.line, 'duplicate', 'LINKAGE_ID ' || d.linkage_id || ' appears again on line ' || d.last_line || ', which is stored'
         from (select s.line, s.linkage_id, max(s.line) over (partition by s.linkage_id) as last_line
                 from stage_ccl s where not exists (select 1 from fec_verdicts v where v.kind = 'ccl' and v.line = s.line)) d
        where d.line <> d.last_line`,
  webk: `insert into fec_verdicts (kind, line, reject_kind, reason)
       select 'webk', d.line, 'duplicate', 'CMTE_ID ' || d.cmte_id || ' appears again on line ' || d.last_line || ' for the same cycle, which is stored'
         from (select s.line, s.cmte_id, max(s.line) over (partition by s.cmte_id) as last_line
                 from stage_webk s where not exists (select 1 from fec_verdicts v where v.kind = 'webk' and v.line = s.line)) d
        where d.line <> d.last_line`,
};

const upsertSql: Readonly<Record<FecFileKind, string>> = {
  cn: `
    with src as (
      select s.* from stage_cn s where not exists (select 1 from fec_verdicts v where v.kind = 'cn' and v.line = s.line)
    ), up as (
      insert into public.fec_candidates as t (candidate_id, name, party, office, state, district, election_year, election_years,
        incumbent_challenger, candidate_status, principal_committee_id, street_1, street_2, city, address_state, zip_code)
      select s.cand_id, s.cand_name, s.cand_pty_affiliation, s.cand_office::public.fec_office, s.cand_office_st, s.cand_office_district,
             s.cand_election_yr::smallint, array[s.cand_election_yr::smallint], s.cand_ici::public.fec_incumbent_challenger,
             s.cand_status::public.fec_candidate_status, s.cand_pcc, s.cand_st1, s.cand_st2, s.cand_city, s.cand_st, s.cand_zip
        from src s
      on conflict (candidate_id) do update set
        name = excluded.name, party = excluded.party, office = excluded.office, state = excluded.state, district = excluded.district,
        election_year = excluded.election_year,
        election_years = (select array_agg(distinct y order by y) from unnest(t.election_years || excluded.election_years) y),
        incumbent_challenger = excluded.incumbent_challenger, candidate_status = excluded.candidate_status,
        principal_committee_id = excluded.principal_committee_id, street_1 = excluded.street_1, street_2 = excluded.street_2,
        city = excluded.city, address_state = excluded.address_state, zip_code = excluded.zip_code
      where (t.name, t.party, t.office, t.state, t.district, t.election_year, t.incumbent_challenger, t.candidate_status,
             t.principal_committee_id, t.street_1, t.street_2, t.city, t.address_state, t.zip_code)
            is distinct from
            (excluded.name, excluded.party, excluded.office, excluded.state, excluded.district, excluded.election_year,
             excluded.incumbent_challenger, excluded.candidate_status, excluded.principal_committee_id, excluded.street_1,
             excluded.street_2, excluded.city, excluded.address_state, excluded.zip_code)
         or not (excluded.election_years <@ t.election_years)
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated,
           (select count(*) from src)::int as valid from up`,
  cm: `
    with src as (
      select s.* from stage_cm s where not exists (select 1 from fec_verdicts v where v.kind = 'cm' and v.line = s.line)
    ), up as (
      insert into public.fec_committees as t (committee_id, committee_name, treasurer_name, street_1, street_2, city, address_state,
        zip_code, designation, committee_type, party, filing_frequency, organization_type, connected_organization_name, candidate_id)
      select s.cmte_id, s.cmte_nm, s.tres_nm, s.cmte_st1, s.cmte_st2, s.cmte_city, s.cmte_st, s.cmte_zip,
             s.cmte_dsgn::public.fec_committee_designation, s.cmte_tp::public.fec_committee_type, s.cmte_pty_affiliation,
             s.cmte_filing_freq::public.fec_filing_frequency, s.org_tp::public.fec_organization_type, s.connected_org_nm, s.cand_id
        from src s
      on conflict (committee_id) do update set
        committee_name = excluded.committee_name, treasurer_name = excluded.treasurer_name, street_1 = excluded.street_1,
        street_2 = excluded.street_2, city = excluded.city, address_state = excluded.address_state, zip_code = excluded.zip_code,
        designation = excluded.designation, committee_type = excluded.committee_type, party = excluded.party,
        filing_frequency = excluded.filing_frequency, organization_type = excluded.organization_type,
        connected_organization_name = excluded.connected_organization_name, candidate_id = excluded.candidate_id
      where (t.committee_name, t.treasurer_name, t.street_1, t.street_2, t.city, t.address_state, t.zip_code, t.designation,
             t.committee_type, t.party, t.filing_frequency, t.organization_type, t.connected_organization_name, t.candidate_id)
            is distinct from
            (excluded.committee_name, excluded.treasurer_name, excluded.street_1, excluded.street_2, excluded.city,
             excluded.address_state, excluded.zip_code, excluded.designation, excluded.committee_type, excluded.party,
             excluded.filing_frequency, excluded.organization_type, excluded.connected_organization_name, excluded.candidate_id)
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated,
           (select count(*) from src)::int as valid from up`,
  ccl: `
    with src as (
      select s.* from stage_ccl s where not exists (select 1 from fec_verdicts v where v.kind = 'ccl' and v.line = s.line)
    ), up as (
      insert into public.fec_candidate_committees as t (linkage_id, candidate_id, committee_id, candidate_election_year,
        fec_election_year, committee_type, designation)
      select s.linkage_id::bigint, s.cand_id, s.cmte_id, s.cand_election_yr::smallint, s.fec_election_yr::smallint,
             s.cmte_tp::public.fec_committee_type, s.cmte_dsgn::public.fec_committee_designation
        from src s
      on conflict (linkage_id) do update set
        candidate_id = excluded.candidate_id, committee_id = excluded.committee_id,
        candidate_election_year = excluded.candidate_election_year, fec_election_year = excluded.fec_election_year,
        committee_type = excluded.committee_type, designation = excluded.designation
      where (t.candidate_id, t.committee_id, t.candidate_election_year, t.fec_election_year, t.committee_type, t.designation)
            is distinct from
            (excluded.candidate_id, excluded.committee_id, excluded.candidate_election_year, excluded.fec_election_year,
             excluded.committee_type, excluded.designation)
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated,
           (select count(*) from src)::int as valid from up`,
  itpas2: `
    with good as (
      select s.* from stage_itpas2 s where not exists (select 1 from fec_verdicts v where v.kind = 'itpas2' and v.line = s.line)
    ), filings as (
      select g.file_num::bigint as filing_id,
             min(g.cmte_id) as committee_id,
             min(g.amndt_ind) as amendment_indicator,
             min(g.rpt_tp) as report_type,
             coalesce(
               min(to_date(substr(g.image_num, 1, 8), 'YYYYMMDD')) filter (
                 where length(g.image_num) = 18 and substr(g.image_num, 1, 8) ~ '^(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$'),
               max(to_date(g.transaction_dt, 'MMDDYYYY'))) as filing_date,
             count(*)::int as transactions,
             sum(g.transaction_amt::numeric) as total_amount,
             min(g.image_num) as first_image_num,
             min(g.line) as first_line,
             max(g.line) as last_line
        from good g
       group by g.file_num
    ), shaped as (
      select f.*,
             (extract(year from f.filing_date)::int + extract(year from f.filing_date)::int % 2)::smallint as election_cycle,
             case when f.report_type in ('24', '48') then 'F24'
                  when c.committee_type in ('H', 'S') then 'F3'
                  when c.committee_type = 'P' then 'F3P'
                  else 'F3X' end as form_type
        from filings f
        join public.fec_committees c on c.committee_id = f.committee_id
    ), up as (
      insert into public.fec_filings as t (filing_id, committee_id, form_type, report_type, filing_date, election_cycle,
        amendment_indicator, processing_status, processed_at, raw)
      select s.filing_id, s.committee_id, s.form_type, s.report_type, s.filing_date, s.election_cycle,
             s.amendment_indicator::public.fec_amendment_indicator, 'processed', now(),
             jsonb_build_object('source', 'itpas2', 'form_type_derived', true, 'transactions', s.transactions,
                                'total_amount', s.total_amount, 'first_image_num', s.first_image_num,
                                'lines', jsonb_build_array(s.first_line, s.last_line))
        from shaped s
      on conflict (filing_id) do update set
        committee_id = excluded.committee_id, form_type = excluded.form_type, report_type = excluded.report_type,
        filing_date = excluded.filing_date, election_cycle = excluded.election_cycle,
        amendment_indicator = excluded.amendment_indicator,
        amends_filing_id = case when excluded.amendment_indicator = 'A' then t.amends_filing_id end,
        raw = excluded.raw
      where (t.committee_id, t.form_type, t.report_type, t.filing_date, t.election_cycle, t.amendment_indicator, t.raw - 'lines')
            is distinct from
            (excluded.committee_id, excluded.form_type, excluded.report_type, excluded.filing_date, excluded.election_cycle,
             excluded.amendment_indicator, excluded.raw - 'lines')
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated,
           (select count(*) from shaped)::int as valid from up`,
  webk: `
    with src as (
      select s.*, to_date(s.cvg_end_dt, 'MM/DD/YYYY') as coverage_end
        from stage_webk s where not exists (select 1 from fec_verdicts v where v.kind = 'webk' and v.line = s.line)
    ), shaped as (
      select s.*, (extract(year from s.coverage_end)::int + extract(year from s.coverage_end)::int % 2)::smallint as election_cycle
        from src s
    ), up as (
      insert into public.fec_filings as t (filing_id, committee_id, form_type, report_type, filing_date, coverage_end_date,
        election_cycle, amendment_indicator, receipts, disbursements, cash_on_hand, debts, processing_status, processed_at, raw)
      select 9000000000000000 + s.election_cycle::bigint * 100000000 + substr(s.cmte_id, 2)::bigint,
             s.cmte_id, 'WEBK', null, s.coverage_end, s.coverage_end, s.election_cycle, 'N',
             s.ttl_receipts::numeric, s.ttl_disb::numeric, s.coh_cop::numeric, s.debts_owed_by::numeric,
             'processed', now(),
             jsonb_strip_nulls(to_jsonb(s) - 'line' - 'coverage_end' - 'election_cycle') || jsonb_build_object('source', 'webk', 'synthetic_filing_id', true)
        from shaped s
      on conflict (filing_id) do update set
        committee_id = excluded.committee_id, filing_date = excluded.filing_date, coverage_end_date = excluded.coverage_end_date,
        receipts = excluded.receipts, disbursements = excluded.disbursements, cash_on_hand = excluded.cash_on_hand,
        debts = excluded.debts, raw = excluded.raw
      where (t.committee_id, t.filing_date, t.coverage_end_date, t.receipts, t.disbursements, t.cash_on_hand, t.debts, t.raw)
            is distinct from
            (excluded.committee_id, excluded.filing_date, excluded.coverage_end_date, excluded.receipts, excluded.disbursements,
             excluded.cash_on_hand, excluded.debts, excluded.raw)
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted, count(*) filter (where not inserted)::int as updated,
           (select count(*) from shaped)::int as valid from up`,
};

/**
 * Amendment chains of the itpas2 filings of this run: each A version amends
 * the previous FILE_NUM of the same committee, report type and cycle
 * (including versions stored by earlier runs); amended versions become
 * superseded. Two statements so the unique index on amends_filing_id never
 * sees two rows claim one predecessor at once.
 */
const chainSql = [
  `create temp table fec_chain on commit drop as
   with versions as (
     select f.filing_id, f.committee_id, f.report_type, f.election_cycle, f.amendment_indicator,
            lag(f.filing_id) over (partition by f.committee_id, f.report_type, f.election_cycle order by f.filing_id) as previous
       from public.fec_filings f
      where f.form_type <> 'WEBK'
        and (f.committee_id, f.report_type, f.election_cycle) in (
          select g.committee_id, g.report_type, g.election_cycle from public.fec_filings g
           where g.filing_id in (select s.file_num::bigint from stage_itpas2 s))
   )
   select v.filing_id, case when v.amendment_indicator = 'A' then v.previous end as amends
     from versions v`,
  `update public.fec_filings f set amends_filing_id = null
     from fec_chain c
    where f.filing_id = c.filing_id and f.amends_filing_id is distinct from c.amends and f.amends_filing_id is not null`,
  `update public.fec_filings f set amends_filing_id = c.amends
     from fec_chain c
    where f.filing_id = c.filing_id and f.amends_filing_id is distinct from c.amends`,
  `update public.fec_filings f
      set processing_status = case when exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
                                   then 'superseded' else 'processed' end::public.fec_filing_processing_status
     from fec_chain c
    where f.filing_id = c.filing_id
      and f.processing_status is distinct from
          case when exists (select 1 from public.fec_filings a where a.amends_filing_id = f.filing_id)
               then 'superseded' else 'processed' end::public.fec_filing_processing_status`,
];

const emptyOutcome: TableOutcome = { inserted: 0, updated: 0, unchanged: 0 };
const tableOf: Readonly<Record<FecFileKind, keyof FecLoadResult['perTable']>> = {
  cn: 'fec_candidates',
  cm: 'fec_committees',
  ccl: 'fec_candidate_committees',
  itpas2: 'fec_filings',
  webk: 'fec_filings',
};

function pgFailure(error: unknown, what: string): SchemaproofError {
  const fields = error as { code?: string; message?: string; detail?: string };
  return new SchemaproofError(
    {
      code: 'input_invalid',
      file: what,
      line: 0,
      detail: `the database refused the load (${fields.code ?? 'error'}: ${String(fields.message ?? error).split('\n')[0]}${fields.detail ? ` — ${fields.detail}` : ''})`,
    },
    { cause: error },
  );
}

/** Load the FEC bulk files of `directory` into the database at `target`. */
export async function loadFec(target: ConnectionTarget, options: FecLoadOptions): Promise<FecLoadResult> {
  const started = performance.now();
  const startedAt = new Date();
  const directory = resolve(options.directory);
  const found = findFecFiles(directory);
  // Files are read as streams, never held whole: a survey here (checksum, line
  // count), then parsed and checked on their way into COPY inside the
  // transaction, where a malformed line aborts the load and nothing is kept.
  const parsed: SurveyedFile[] = found.map((file) => surveyFecFile(file.path, file.kind));
  const idempotencyKey = idempotencyKeyFor(parsed);

  const client = pgClient(target);
  try {
    await client.connect();
  } catch (error) {
    throw new SchemaproofError({ code: 'database_unreachable', target: `${target.host}:${target.port}/${target.database}`, detail: String((error as Error).message) });
  }
  try {
    const previous = await client.query('select id::text as id, status::text as status from public.ingestion_logs where idempotency_key = $1', [idempotencyKey]);
    const inputRows = parsed.reduce((sum, file) => sum + file.rows, 0);
    if (previous.rows.length > 0) {
      const durationMs = Math.round(performance.now() - started);
      return {
        directory,
        files: parsed.map((file) => ({ file: file.file, kind: file.kind, rows: file.rows, sha256: file.sha256, stored: 0, rejected: 0 })),
        cycle: null,
        perTable: { fec_candidates: emptyOutcome, fec_committees: emptyOutcome, fec_candidate_committees: emptyOutcome, fec_filings: emptyOutcome },
        rejected: [],
        idempotencyKey,
        replay: true,
        runId: String(previous.rows[0]?.id),
        status: 'replay',
        inputRows,
        durationMs,
        rowsPerSecond: 0,
      };
    }

    await client.query('begin');
    try {
      await client.query('create temp table fec_verdicts (kind text not null, line int not null, reject_kind text not null, reason text not null) on commit drop');
      const kinds = new Set(parsed.map((file) => file.kind));
      for (const kind of loadOrder) await client.query(stagingDdl[kind]);
      for (const file of parsed) await copyFrom(client, copyText[file.kind], copyRows(file));
      await client.query('create index on stage_itpas2 (file_num, line)');
      for (const kind of loadOrder) await client.query(`analyze stage_${kind}`);

      const perTable: Record<keyof FecLoadResult['perTable'], { inserted: number; updated: number; unchanged: number }> = {
        fec_candidates: { ...emptyOutcome },
        fec_committees: { ...emptyOutcome },
        fec_candidate_committees: { ...emptyOutcome },
        fec_filings: { ...emptyOutcome },
      };
      for (const kind of loadOrder) {
        if (!kinds.has(kind)) continue;
        await client.query(verdictSql[kind]);
        const duplicates = duplicateSql[kind];
        if (duplicates) await client.query(duplicates);
        const outcome = await client.query(upsertSql[kind]);
        const row = outcome.rows[0] ?? {};
        const table = perTable[tableOf[kind]];
        table.inserted += Number(row.inserted ?? 0);
        table.updated += Number(row.updated ?? 0);
        table.unchanged += Number(row.valid ?? 0) - Number(row.inserted ?? 0) - Number(row.updated ?? 0);
        if (kind === 'itpas2') for (const statement of chainSql) await client.query(statement);
      }

      const verdicts = await client.query('select kind, line, reject_kind, reason from fec_verdicts order by kind, line');
      const fileOf = new Map(parsed.map((file) => [file.kind as string, file.file]));
      const rejected: RejectedRow[] = verdicts.rows.map((row) => ({
        file: fileOf.get(String(row.kind)) ?? String(row.kind),
        line: Number(row.line),
        kind: row.reject_kind as RejectKind,
        reason: String(row.reason),
      }));
      const rejectedPerKind = new Map<string, number>();
      for (const row of verdicts.rows) rejectedPerKind.set(String(row.kind), (rejectedPerKind.get(String(row.kind)) ?? 0) + 1);

      const cycleRow = await client.query(`
        select mode() within group (order by y) as cycle from (
          select fec_election_yr::int as y from stage_ccl where fec_election_yr ~ '^[0-9]+$'
          union all
          select f.election_cycle from public.fec_filings f where f.filing_id in (select file_num::bigint from stage_itpas2)
          union all
          select extract(year from to_date(cvg_end_dt, 'MM/DD/YYYY'))::int + extract(year from to_date(cvg_end_dt, 'MM/DD/YYYY'))::int % 2
            from stage_webk where cvg_end_dt is not null
          union all
          select cand_election_yr::int + cand_election_yr::int % 2 from stage_cn where cand_election_yr ~ '^[0-9]+$'
        ) years`);
      const cycle = cycleRow.rows[0]?.cycle == null ? null : Number(cycleRow.rows[0].cycle);

      const files: FecFileResult[] = parsed.map((file) => {
        const rejectedCount = rejectedPerKind.get(file.kind) ?? 0;
        return { file: file.file, kind: file.kind, rows: file.rows, sha256: file.sha256, stored: file.rows - rejectedCount, rejected: rejectedCount };
      });
      const inserted = Object.values(perTable).reduce((sum, table) => sum + table.inserted, 0);
      const updated = Object.values(perTable).reduce((sum, table) => sum + table.updated, 0);
      const unchanged = Object.values(perTable).reduce((sum, table) => sum + table.unchanged, 0);
      const duplicates = rejected.filter((row) => row.kind === 'duplicate').length;
      const failed = rejected.length - duplicates;
      const status = failed > 0 ? 'partial' : 'succeeded';
      const byReason: Record<string, number> = {};
      for (const row of rejected) byReason[`${row.file}:${row.kind}`] = (byReason[`${row.file}:${row.kind}`] ?? 0) + 1;
      const details = {
        cycle,
        files: files.map((file) => ({ file: file.file, rows: file.rows, sha256: file.sha256, stored: file.stored, rejected: file.rejected })),
        per_table: perTable,
        rejected_by_file_and_kind: byReason,
        rejected_sample: rejected.slice(0, 40),
      };
      const stream = cycle === null ? 'bulk' : `cycle_${cycle}`;
      const log = await client.query(
        `insert into public.ingestion_logs (source, stream, ingestion_type, status, started_at, finished_at,
           records_processed, records_inserted, records_updated, records_skipped, records_failed,
           error_message, error_details, idempotency_key, cursor_before, cursor_after)
         values ($1, $2, 'full', $3, $4, clock_timestamp(), $5, $6, $7, $8, $9, $10, $11::jsonb, $12,
                 (select c.cursor_value from public.ingestion_cursors c where c.source = $1 and c.stream = $2), $12)
         returning id::text as id`,
        [
          fecSource,
          stream,
          status,
          startedAt.toISOString(),
          inputRows,
          inserted,
          updated,
          unchanged + duplicates,
          failed,
          failed > 0 ? `${failed} row(s) quarantined (see error_details and the load report)` : null,
          JSON.stringify(details),
          idempotencyKey,
        ],
      );
      const runId = String(log.rows[0]?.id);
      await client.query(
        `insert into public.ingestion_cursors (source, stream, cursor_type, cursor_value, cursor_metadata)
         values ($1, $2, 'token', null, '{}'::jsonb) on conflict (source, stream) do nothing`,
        [fecSource, stream],
      );
      const version = await client.query('select version from public.ingestion_cursors where source = $1 and stream = $2 for update', [fecSource, stream]);
      const advanced = await client.query('select public.advance_ingestion_cursor($1, $2, $3, $4, $5::jsonb, $6::uuid) as version', [
        fecSource,
        stream,
        version.rows[0]?.version,
        idempotencyKey,
        JSON.stringify({ cycle, directory, files: details.files }),
        runId,
      ]);
      if (advanced.rows[0]?.version == null) throw new Error('ingestion cursor was advanced concurrently');
      await client.query('commit');
      const durationMs = Math.round(performance.now() - started);
      const resultPerTable = Object.fromEntries(Object.entries(perTable).map(([name, value]) => [name, { ...value }])) as unknown as FecLoadResult['perTable'];
      return {
        directory,
        files,
        cycle,
        perTable: resultPerTable,
        rejected,
        idempotencyKey,
        replay: false,
        runId,
        status,
        inputRows,
        durationMs,
        rowsPerSecond: durationMs > 0 ? Math.round((inputRows * 1000) / durationMs) : inputRows,
      };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      if (error instanceof SchemaproofError) throw error;
      throw pgFailure(error, directory);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
