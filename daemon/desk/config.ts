/**
 * The `desk` section of the configuration (config/schema.ts): the staff desk's signature tablet
 * texts, the rule that picks their language, and its receipt printer and tablet.
 *
 * Tablet texts use the markup of domain.md §9.3 (protocols/signature/page-text.ts): one member
 * attribute per line as `Label: %variable%` (a line whose variables are all empty for the member is
 * hidden), `<page>` on its own line between pages, `<fontsize=nn>` … `<fontsize=nn>` around a
 * passage kept on one page at size nn (12 is the tablet's normal size; in the PDF nn is points).
 *
 * Variables: %library% %department% %date% %card% %surname% %name% %category% %email%
 * %membershipExpires% and the desk's member attributes %gender% %birthDate% %address% %postcode%
 * %city% %country% %citizenship% %phone% %guardian%. The loan receipt also has %count% (items on
 * loan), and a line holding only `%loans%` becomes one line per item on loan.
 */
import { z } from 'zod';

export const DESK_LANGUAGES = ['sl', 'en', 'lv', 'hu'] as const;
export type DeskLanguage = (typeof DESK_LANGUAGES)[number];

const ENROLMENT_SL = `<fontsize=16>
VPISNICA
<fontsize=16>
Knjižnica: %library%
Članska izkaznica: %card%
Priimek in ime: %surname% %name%
Spol: %gender%
Datum rojstva: %birthDate%
Naslov: %address%
Pošta: %postcode% %city%
Država bivališča: %country%
Državljanstvo: %citizenship%
E-pošta: %email%
Telefon: %phone%
Zakoniti zastopnik: %guardian%
Kategorija člana: %category%
Članstvo velja do: %membershipExpires%
<page>
<fontsize=12>
IZJAVA ČLANA
S podpisom potrjujem, da so navedeni podatki resnični, da sem seznanjen/-a s pravili poslovanja knjižnice in jih bom upošteval/-a ter da bom spremembe podatkov sporočil/-a knjižnici. Knjižnica osebne podatke obdeluje za izvajanje članstva v skladu s predpisi o varstvu osebnih podatkov.
<fontsize=12>
Datum: %date%`;

const ENROLMENT_EN = `<fontsize=16>
REGISTRATION FORM
<fontsize=16>
Library: %library%
Membership card: %card%
Surname and name: %surname% %name%
Gender: %gender%
Date of birth: %birthDate%
Address: %address%
Post code and town: %postcode% %city%
Country of residence: %country%
Citizenship: %citizenship%
E-mail: %email%
Phone: %phone%
Legal guardian: %guardian%
Member category: %category%
Membership valid until: %membershipExpires%
<page>
<fontsize=12>
MEMBER'S DECLARATION
By signing I confirm that the data above are true, that I have read the library's rules and will abide by them, and that I will tell the library when my data change. The library processes personal data to provide the membership, as the data protection law requires.
<fontsize=12>
Date: %date%`;

const RECEIPT_SL = `<fontsize=16>
ZADOLŽNICA
<fontsize=16>
Knjižnica: %library%
Članska izkaznica: %card%
Priimek in ime: %surname% %name%
Datum: %date%
Gradivo na izposoji (%count%):
%loans%
<page>
S podpisom potrjujem, da sem prejel/-a navedeno gradivo in ga bom vrnil/-a do roka vrnitve.`;

const RECEIPT_EN = `<fontsize=16>
LOAN RECEIPT
<fontsize=16>
Library: %library%
Membership card: %card%
Surname and name: %surname% %name%
Date: %date%
Items on loan (%count%):
%loans%
<page>
By signing I confirm that I have received the items listed and will return them by their due dates.`;

const perLanguage = (sl: string, en: string) =>
  z
    .object({
      sl: z.string().min(1).default(sl),
      en: z.string().min(1).default(en),
      lv: z.string().min(1).optional(),
      hu: z.string().min(1).optional(),
    })
    .strict()
    .prefault({});

export const deskConfigSchema = z
  .object({
    /** Tablet texts per document and language (domain.md §9.3). A language without a text uses English. */
    tablet: z
      .object({
        enrolment: perLanguage(ENROLMENT_SL, ENROLMENT_EN),
        loanReceipt: perLanguage(RECEIPT_SL, RECEIPT_EN),
      })
      .strict()
      .prefault({}),
    /**
     * The language rule of domain.md §9.3: the foreign language (English) when the member category is
     * one of `foreignCategories` (COBISS 013 "foreign citizens"), or the citizenship or the country of
     * residence is not `homeCountry`; otherwise the home language.
     */
    language: z
      .object({
        home: z.enum(DESK_LANGUAGES).default('sl'),
        foreign: z.enum(DESK_LANGUAGES).default('en'),
        /** ISO 3166-1 alpha-2. */
        homeCountry: z
          .string()
          .regex(/^[A-Z]{2}$/, 'a two-letter country code such as SI')
          .default('SI'),
        foreignCategories: z.array(z.string().min(1)).default(['013', 'foreign']),
      })
      .strict()
      .prefault({}),
    /** E-mail a signed document to the member when SMTP is configured and the member has an address (§9.3). */
    emailSigned: z.boolean().default(true),
    /** Device ids of the desk's tablet and receipt printer; null: the first configured one. */
    tabletDevice: z.string().min(1).nullable().default(null),
    printerDevice: z.string().min(1).nullable().default(null),
    /** Payment methods staff may record at the desk ("cash" opens the drawer and gives change). */
    paymentMethods: z
      .array(z.enum(['cash', 'card', 'other']))
      .min(1)
      .default(['cash', 'card']),
  })
  .strict()
  .prefault({});

export type DeskConfig = z.output<typeof deskConfigSchema>;
