/**
 * The FEC bulk file formats this loader reads (FEC "bulk data" descriptions:
 * candidate master, committee master, candidate-committee linkages,
 * contributions from committees to candidates, PAC and party summary).
 * Pipe-delimited, no header row, no quoting. Column order follows the FEC
 * data descriptions, not any local copy of the header files.
 */

export const fecFileKinds = ['cn', 'cm', 'ccl', 'itpas2', 'webk'] as const;
export type FecFileKind = (typeof fecFileKinds)[number];

export type FieldCheck =
  /** digits only (or empty) */
  | 'integer'
  /** optional minus, digits, optional decimals (or empty) */
  | 'amount'
  /** MMDDYYYY, a real calendar date (or empty) */
  | 'date_mmddyyyy'
  /** MM/DD/YYYY, a real calendar date (or empty) */
  | 'date_slash';

export interface FecFormat {
  readonly kind: FecFileKind;
  /** File names the FEC uses for this format in any cycle (e.g. webk20.txt, webk22.txt). */
  readonly pattern: RegExp;
  readonly description: string;
  readonly columns: readonly string[];
  /** Per-column syntax checks; a violation makes the file malformed (input_invalid). */
  readonly checks: Readonly<Record<string, FieldCheck>>;
}

export const fecFormats: Readonly<Record<FecFileKind, FecFormat>> = {
  cn: {
    kind: 'cn',
    pattern: /^cn\d*\.txt$/i,
    description: 'candidate master',
    columns: [
      'CAND_ID',
      'CAND_NAME',
      'CAND_PTY_AFFILIATION',
      'CAND_ELECTION_YR',
      'CAND_OFFICE_ST',
      'CAND_OFFICE',
      'CAND_OFFICE_DISTRICT',
      'CAND_ICI',
      'CAND_STATUS',
      'CAND_PCC',
      'CAND_ST1',
      'CAND_ST2',
      'CAND_CITY',
      'CAND_ST',
      'CAND_ZIP',
    ],
    checks: { CAND_ELECTION_YR: 'integer' },
  },
  cm: {
    kind: 'cm',
    pattern: /^cm\d*\.txt$/i,
    description: 'committee master',
    columns: [
      'CMTE_ID',
      'CMTE_NM',
      'TRES_NM',
      'CMTE_ST1',
      'CMTE_ST2',
      'CMTE_CITY',
      'CMTE_ST',
      'CMTE_ZIP',
      'CMTE_DSGN',
      'CMTE_TP',
      'CMTE_PTY_AFFILIATION',
      'CMTE_FILING_FREQ',
      'ORG_TP',
      'CONNECTED_ORG_NM',
      'CAND_ID',
    ],
    checks: {},
  },
  ccl: {
    kind: 'ccl',
    pattern: /^ccl\d*\.txt$/i,
    description: 'candidate-committee linkages',
    columns: ['CAND_ID', 'CAND_ELECTION_YR', 'FEC_ELECTION_YR', 'CMTE_ID', 'CMTE_TP', 'CMTE_DSGN', 'LINKAGE_ID'],
    checks: { CAND_ELECTION_YR: 'integer', FEC_ELECTION_YR: 'integer', LINKAGE_ID: 'integer' },
  },
  itpas2: {
    kind: 'itpas2',
    pattern: /^itpas2\d*\.txt$/i,
    description: 'contributions from committees to candidates and independent expenditures',
    columns: [
      'CMTE_ID',
      'AMNDT_IND',
      'RPT_TP',
      'TRANSACTION_PGI',
      'IMAGE_NUM',
      'TRANSACTION_TP',
      'ENTITY_TP',
      'NAME',
      'CITY',
      'STATE',
      'ZIP_CODE',
      'EMPLOYER',
      'OCCUPATION',
      'TRANSACTION_DT',
      'TRANSACTION_AMT',
      'OTHER_ID',
      'CAND_ID',
      'TRAN_ID',
      'FILE_NUM',
      'MEMO_CD',
      'MEMO_TEXT',
      'SUB_ID',
    ],
    checks: { IMAGE_NUM: 'integer', TRANSACTION_DT: 'date_mmddyyyy', TRANSACTION_AMT: 'amount', FILE_NUM: 'integer', SUB_ID: 'integer' },
  },
  webk: {
    kind: 'webk',
    pattern: /^webk\d*\.txt$/i,
    description: 'PAC and party summary',
    columns: [
      'CMTE_ID',
      'CMTE_NM',
      'CMTE_TP',
      'CMTE_DSGN',
      'CMTE_FILING_FREQ',
      'TTL_RECEIPTS',
      'TRANS_FROM_AFF',
      'INDV_CONTRIB',
      'OTHER_POL_CMTE_CONTRIB',
      'CAND_CONTRIB',
      'CAND_LOANS',
      'TTL_LOANS_RECEIVED',
      'TTL_DISB',
      'TRANF_TO_AFF',
      'INDV_REFUNDS',
      'OTHER_POL_CMTE_REFUNDS',
      'CAND_LOAN_REPAY',
      'LOAN_REPAY',
      'COH_BOP',
      'COH_COP',
      'DEBTS_OWED_BY',
      'NONFED_TRANS_RECEIVED',
      'CONTRIB_TO_OTHER_CMTE',
      'IND_EXP',
      'PTY_COORD_EXP',
      'NONFED_SHARE_EXP',
      'CVG_END_DT',
    ],
    checks: {
      TTL_RECEIPTS: 'amount',
      TRANS_FROM_AFF: 'amount',
      INDV_CONTRIB: 'amount',
      OTHER_POL_CMTE_CONTRIB: 'amount',
      CAND_CONTRIB: 'amount',
      CAND_LOANS: 'amount',
      TTL_LOANS_RECEIVED: 'amount',
      TTL_DISB: 'amount',
      TRANF_TO_AFF: 'amount',
      INDV_REFUNDS: 'amount',
      OTHER_POL_CMTE_REFUNDS: 'amount',
      CAND_LOAN_REPAY: 'amount',
      LOAN_REPAY: 'amount',
      COH_BOP: 'amount',
      COH_COP: 'amount',
      DEBTS_OWED_BY: 'amount',
      NONFED_TRANS_RECEIVED: 'amount',
      CONTRIB_TO_OTHER_CMTE: 'amount',
      IND_EXP: 'amount',
      PTY_COORD_EXP: 'amount',
      NONFED_SHARE_EXP: 'amount',
      CVG_END_DT: 'date_slash',
    },
  },
};

/** Load order: masters first, so references resolve against this run's rows. */
export const loadOrder: readonly FecFileKind[] = ['cn', 'cm', 'ccl', 'itpas2', 'webk'];

export function kindOfFile(name: string): FecFileKind | null {
  for (const kind of fecFileKinds) if (fecFormats[kind].pattern.test(name)) return kind;
  return null;
}

function realDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= last && year >= 1900 && year <= 2999;
}

/** null when the value passes, else what is wrong with it. */
export function checkField(check: FieldCheck, value: string): string | null {
  if (value === '') return null;
  switch (check) {
    case 'integer':
      return /^\d{1,19}$/.test(value) ? null : `not an integer: "${value}"`;
    case 'amount':
      return /^-?(\d{1,12}(\.\d{0,2})?|\.\d{1,2})$/.test(value) ? null : `not an amount: "${value}"`;
    case 'date_mmddyyyy': {
      const match = /^(\d{2})(\d{2})(\d{4})$/.exec(value);
      return match && realDate(Number(match[3]), Number(match[1]), Number(match[2])) ? null : `not a date (MMDDYYYY): "${value}"`;
    }
    case 'date_slash': {
      const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value);
      return match && realDate(Number(match[3]), Number(match[1]), Number(match[2])) ? null : `not a date (MM/DD/YYYY): "${value}"`;
    }
  }
}
