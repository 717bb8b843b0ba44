/**
 * Words the desk prints or mails, per language: the signed document's captions, the payment receipt
 * (domain.md §9.4: cash tendered and change are shown by default, column 10 of the form table) and
 * the day's cash closing report. Receipt texts use only characters of the language's printer code
 * page (drivers/receipt/texts.ts explains why).
 */
import type { DeskLanguage } from './config.ts';

export interface DeskTexts {
  enrolmentTitle: string;
  loanReceiptTitle: string;
  signature: string;
  signedOn: string;
  device: string;
  document: string;
  noLoans: string;
  mailBody: string;
  paymentTitle: string;
  method: Record<'cash' | 'card' | 'other', string>;
  tendered: string;
  change: string;
  cashier: string;
  paymentNo: string;
  remaining: string;
  signedReceipt: string;
}

export const DESK_TEXTS: Readonly<Record<DeskLanguage, DeskTexts>> = {
  sl: {
    enrolmentTitle: 'Vpisnica',
    loanReceiptTitle: 'Zadolžnica',
    signature: 'Podpis',
    signedOn: 'Podpisano',
    device: 'Podpisna tablica',
    document: 'Dokument',
    noLoans: '(ni gradiva na izposoji)',
    mailBody: 'V prilogi je podpisan dokument iz knjižnice.',
    paymentTitle: 'Potrdilo o plačilu',
    method: { cash: 'Gotovina', card: 'Kartica', other: 'Drugo' },
    tendered: 'Prejeto',
    change: 'Vračilo',
    cashier: 'Blagajnik',
    paymentNo: 'Št. plačila',
    remaining: 'Preostali dolg',
    signedReceipt: 'Podpisana zadolžnica',
  },
  en: {
    enrolmentTitle: 'Registration form',
    loanReceiptTitle: 'Loan receipt',
    signature: 'Signature',
    signedOn: 'Signed',
    device: 'Signature tablet',
    document: 'Document',
    noLoans: '(no items on loan)',
    mailBody: 'Attached is the document you signed at the library.',
    paymentTitle: 'Payment receipt',
    method: { cash: 'Cash', card: 'Card', other: 'Other' },
    tendered: 'Cash tendered',
    change: 'Change',
    cashier: 'Cashier',
    paymentNo: 'Payment no.',
    remaining: 'Remaining debt',
    signedReceipt: 'Signed loan receipt',
  },
  lv: {
    enrolmentTitle: 'Reģistrācijas veidlapa',
    loanReceiptTitle: 'Izsniegumu kvīts',
    signature: 'Paraksts',
    signedOn: 'Parakstīts',
    device: 'Parakstu planšete',
    document: 'Dokuments',
    noLoans: '(nav izsniegtu izdevumu)',
    mailBody: 'Pielikumā ir bibliotēkā parakstītais dokuments.',
    paymentTitle: 'Maksājuma kvīts',
    method: { cash: 'Skaidrā naudā', card: 'Ar karti', other: 'Cits' },
    tendered: 'Saņemts',
    change: 'Atlikums',
    cashier: 'Kasieris',
    paymentNo: 'Maksājums Nr.',
    remaining: 'Atlikušais parāds',
    signedReceipt: 'Parakstīta izsniegumu kvīts',
  },
  hu: {
    enrolmentTitle: 'Beiratkozási lap',
    loanReceiptTitle: 'Kölcsönzési bizonylat',
    signature: 'Aláírás',
    signedOn: 'Aláírva',
    device: 'Aláírópad',
    document: 'Dokumentum',
    noLoans: '(nincs kölcsönzött dokumentum)',
    mailBody: 'Mellékelten küldjük a könyvtárban aláírt dokumentumot.',
    paymentTitle: 'Befizetési bizonylat',
    method: { cash: 'Készpénz', card: 'Kártya', other: 'Egyéb' },
    tendered: 'Átvett összeg',
    change: 'Visszajáró',
    cashier: 'Pénztáros',
    paymentNo: 'Befizetés száma',
    remaining: 'Fennmaradó tartozás',
    signedReceipt: 'Aláírt kölcsönzési bizonylat',
  },
};

export function deskTexts(language: string): DeskTexts {
  return DESK_TEXTS[(language in DESK_TEXTS ? language : 'en') as DeskLanguage];
}

/** The closing report is for the library's accounting, printed in the site's language. */
export interface ClosingTexts {
  title: string;
  day: string;
  closedBy: string;
  perMethod: string;
  perStaff: string;
  payments: string;
  total: string;
  closingNo: string;
  preview: string;
}

export const CLOSING_TEXTS: Readonly<Record<DeskLanguage, ClosingTexts>> = {
  sl: {
    title: 'Zaključek blagajne',
    day: 'Dan',
    closedBy: 'Zaključil',
    perMethod: 'Po načinu plačila',
    perStaff: 'Po uporabniku',
    payments: 'Plačil',
    total: 'Skupaj',
    closingNo: 'Št. zaključka',
    preview: 'PREGLED - NI ZAKLJUČENO',
  },
  en: {
    title: 'Cash closing report',
    day: 'Day',
    closedBy: 'Closed by',
    perMethod: 'By payment method',
    perStaff: 'By staff user',
    payments: 'Payments',
    total: 'Total',
    closingNo: 'Closing no.',
    preview: 'PREVIEW - NOT CLOSED',
  },
  lv: {
    title: 'Kases slēgšanas pārskats',
    day: 'Diena',
    closedBy: 'Slēdza',
    perMethod: 'Pēc maksājuma veida',
    perStaff: 'Pēc darbinieka',
    payments: 'Maksājumi',
    total: 'Kopā',
    closingNo: 'Slēgšana Nr.',
    preview: 'PRIEKŠSKATĪJUMS - NAV SLĒGTS',
  },
  hu: {
    title: 'Pénztárzárás',
    day: 'Nap',
    closedBy: 'Lezárta',
    perMethod: 'Fizetési mód szerint',
    perStaff: 'Munkatárs szerint',
    payments: 'Befizetések',
    total: 'Összesen',
    closingNo: 'Zárás száma',
    preview: 'ELŐNÉZET - NINCS LEZÁRVA',
  },
};
