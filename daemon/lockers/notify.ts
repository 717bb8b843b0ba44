/**
 * The "your reservation is in the locker" notice (domain.md §8.3 step 5: the vendor app sends an SMS
 * with title, locker location and compartment; COBISS3 its own e-mail notice). Ours carries the
 * title(s), the bank and its location, the compartment, the expiry and the one-time pickup code;
 * the e-mail also carries the code as a QR image for the kiosk's scanner.
 */
import nodemailer from 'nodemailer';
import QRCode from 'qrcode';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import { formatPickupCode } from './codes.ts';
import type { LockersConfig } from './config.ts';

export type NoticeLanguage = 'en' | 'sl' | 'lv' | 'hu';

export interface LockerMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string; cid: string }>;
}

export interface LockerMailer {
  send(mail: LockerMail): Promise<void>;
}

/** A pluggable SMS gateway. `to` is the patron's mobile number as stored (E.164 in the demo data). */
export interface SmsSender {
  send(to: string, text: string): Promise<void>;
}

/** "+38640111222" → "+386…222": enough for staff to tell numbers apart, not enough to call. */
export function maskPhone(n: string): string {
  const s = n.replace(/\s/g, '');
  if (s.length <= 7) return '…' + s.slice(-2);
  return `${s.slice(0, 4)}…${s.slice(-3)}`;
}

/**
 * The default sender (`sms: {kind: log}`): writes the message to the log at info level with the
 * number masked, in place of a gateway. It is the demo's and the tests' phone, so the text (with its
 * one-time code) is logged as the SMS would show it: configure a real gateway where logs leave the
 * machine.
 */
export class LogSmsSender implements SmsSender {
  /** The last messages, newest last (for the simulator panel and tests). */
  readonly sent: Array<{ to: string; text: string }> = [];
  constructor(private readonly log: Logger) {}
  async send(to: string, text: string): Promise<void> {
    this.sent.push({ to, text });
    if (this.sent.length > 50) this.sent.shift();
    this.log.info(`SMS to ${maskPhone(to)}: ${text}`);
  }
}

/**
 * A library's SMS gateway over HTTP (`sms: {kind: http, url, tokenEnv, from, timeoutS}`): each notice
 * is one POST of `{"to": "+38640222333", "text": "…", "from": "…"}` as JSON, with
 * `Authorization: Bearer <token>` when tokenEnv names a set variable. Any 2xx answer is sent; anything
 * else, no answer within timeoutS, or no connection is an error the locker service logs as a notice
 * not sent. Neither the text (it holds the pickup code) nor the URL's path and query (gateways put
 * keys there) nor the token reach the log: only the masked number and the gateway's host.
 */
export class HttpSmsSender implements SmsSender {
  private readonly host: string;

  constructor(
    private readonly o: { url: string; token?: string; from?: string; timeoutS: number },
    private readonly log: Logger,
  ) {
    this.host = new URL(o.url).host;
  }

  async send(to: string, text: string): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
        body: JSON.stringify({ to, text, ...(this.o.from ? { from: this.o.from } : {}) }),
        signal: AbortSignal.timeout(this.o.timeoutS * 1000),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') throw new Error(`the SMS gateway ${this.host} did not answer within ${this.o.timeoutS} s`);
      throw new Error(`the SMS gateway ${this.host} could not be reached: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
    }
    // The gateway's own words, shortened, say why it refused (quota, bad number …); runs of 4 or
    // more digits are blanked, since a gateway may echo the pickup code or the number back.
    const body = (await res.text().catch(() => ''))
      .replace(/\s+/g, ' ')
      .replace(/\d{4,}/g, '####')
      .trim()
      .slice(0, 200);
    if (!res.ok) throw new Error(`the SMS gateway ${this.host} answered HTTP ${res.status}${body ? `: ${body}` : ''}`);
    this.log.info(`SMS to ${maskPhone(to)} handed to the gateway ${this.host} (HTTP ${res.status})`);
  }
}

/** The configured sender; a tokenEnv that names an unset variable is said at start, not at the first notice. */
export function makeSmsSender(cfg: LockersConfig['sms'], log: Logger, env: NodeJS.ProcessEnv = process.env): SmsSender {
  if (cfg.kind === 'log') return new LogSmsSender(log);
  const token = cfg.tokenEnv ? env[cfg.tokenEnv] : undefined;
  if (cfg.tokenEnv && !token) log.warn(`lockers.sms.tokenEnv names ${cfg.tokenEnv}, which is not set: the SMS gateway is called without a token`);
  return new HttpSmsSender({ url: cfg.url, token, from: cfg.from, timeoutS: cfg.timeoutS }, log);
}

/** SMTP through the same `kiosk.smtp` settings the station's e-mailed receipts use. */
export function smtpLockerMailer(smtp: NonNullable<Config['kiosk']['smtp']>): LockerMailer {
  const pass = smtp.passwordEnv ? process.env[smtp.passwordEnv] : undefined;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: pass ?? '' } } : {}),
  });
  return { send: async (m) => void (await transport.sendMail({ from: smtp.from, ...m })) };
}

export interface NoticeFacts {
  language: NoticeLanguage;
  firstName: string;
  titles: string[];
  bankName: string;
  /** The pickup place's name (the bank's location as patrons know it). */
  location: string;
  compartment: string;
  expiresAt: Date;
  code: string;
  libraryName: string;
  timezone: string;
}

const LOCALE: Record<NoticeLanguage, string> = { en: 'en-GB', sl: 'sl-SI', lv: 'lv-LV', hu: 'hu-HU' };

export function formatExpiry(at: Date, language: NoticeLanguage, timezone: string): string {
  return new Intl.DateTimeFormat(LOCALE[language], {
    timeZone: timezone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}

interface NoticeText {
  subject: (f: NoticeFacts) => string;
  greeting: (f: NoticeFacts) => string;
  waiting: (f: NoticeFacts) => string;
  code: string;
  until: string;
  how: string;
  sms: (f: NoticeFacts, titles: string, code: string, until: string) => string;
}

const TEXT: Record<NoticeLanguage, NoticeText> = {
  en: {
    subject: (f) => `Your reservation is in the locker: ${f.bankName}, compartment ${f.compartment}`,
    greeting: (f) => `Hello ${f.firstName},`,
    waiting: (f) => `your reserved items are waiting for you in the locker ${f.bankName} (${f.location}), compartment ${f.compartment}:`,
    code: 'One-time pickup code',
    until: 'Collect them by',
    how: 'Type the code at the locker kiosk or hold the QR code to its scanner. The code works once.',
    sms: (f, t, c, u) => `${f.libraryName}: ${t} is waiting in locker ${f.bankName}, compartment ${f.compartment}. Code ${c}, until ${u}.`,
  },
  sl: {
    subject: (f) => `Rezervirano gradivo je v paketniku: ${f.bankName}, predal ${f.compartment}`,
    greeting: (f) => `Pozdravljeni, ${f.firstName},`,
    waiting: (f) => `rezervirano gradivo vas čaka v paketniku ${f.bankName} (${f.location}), predal ${f.compartment}:`,
    code: 'Enkratna koda za prevzem',
    until: 'Prevzemite ga do',
    how: 'Kodo vtipkajte na terminalu paketnika ali kodo QR pokažite njegovemu čitalniku. Koda velja enkrat.',
    sms: (f, t, c, u) => `${f.libraryName}: ${t} vas čaka v paketniku ${f.bankName}, predal ${f.compartment}. Koda ${c}, do ${u}.`,
  },
  lv: {
    subject: (f) => `Jūsu rezervācija ir pakomātā: ${f.bankName}, nodalījums ${f.compartment}`,
    greeting: (f) => `Sveiki, ${f.firstName}!`,
    waiting: (f) => `Jūsu rezervētie izdevumi gaida pakomātā ${f.bankName} (${f.location}), nodalījumā ${f.compartment}:`,
    code: 'Vienreizējs saņemšanas kods',
    until: 'Izņemiet līdz',
    how: 'Ievadiet kodu pakomāta terminālī vai pietuviniet QR kodu tā skenerim. Kods derīgs vienu reizi.',
    sms: (f, t, c, u) => `${f.libraryName}: ${t} gaida pakomātā ${f.bankName}, nodalījumā ${f.compartment}. Kods ${c}, līdz ${u}.`,
  },
  hu: {
    subject: (f) => `Foglalása a csomagautomatában van: ${f.bankName}, ${f.compartment}. rekesz`,
    greeting: (f) => `Kedves ${f.firstName}!`,
    waiting: (f) => `A lefoglalt dokumentumok a(z) ${f.bankName} csomagautomatában (${f.location}), a(z) ${f.compartment}. rekeszben várják:`,
    code: 'Egyszer használható átvételi kód',
    until: 'Átvehető eddig',
    how: 'Írja be a kódot az automata termináljába, vagy mutassa a QR-kódot az olvasójának. A kód egyszer használható.',
    sms: (f, t, c, u) => `${f.libraryName}: ${t} a(z) ${f.bankName} automatában, ${f.compartment}. rekesz. Kód ${c}, eddig: ${u}.`,
  },
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function smsText(f: NoticeFacts): string {
  const t = TEXT[f.language];
  const titles = f.titles.length === 1 ? `"${f.titles[0]}"` : f.titles.map((x) => `"${x}"`).join(', ');
  return t.sms(f, titles, formatPickupCode(f.code), formatExpiry(f.expiresAt, f.language, f.timezone));
}

/** The e-mail: plain text and HTML, the code as text and as an inline QR code PNG (cid:pickup-code). */
export async function buildNoticeMail(f: NoticeFacts, to: string): Promise<LockerMail> {
  const t = TEXT[f.language];
  const until = formatExpiry(f.expiresAt, f.language, f.timezone);
  const code = formatPickupCode(f.code);
  // The QR code holds the bare digits: the kiosk's scanner types them into the same code field.
  const png = await QRCode.toBuffer(f.code, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 });
  const text = [
    t.greeting(f),
    '',
    t.waiting(f),
    ...f.titles.map((x) => `  - ${x}`),
    '',
    `${t.code}: ${code}`,
    `${t.until}: ${until}`,
    '',
    t.how,
    '',
    f.libraryName,
    '',
  ].join('\n');
  const html = `<!doctype html><html lang="${f.language}"><body style="font-family:sans-serif">
<p>${escapeHtml(t.greeting(f))}</p>
<p>${escapeHtml(t.waiting(f))}</p>
<ul>${f.titles.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>
<p>${escapeHtml(t.code)}: <strong style="font-size:1.6em;letter-spacing:0.1em">${escapeHtml(code)}</strong></p>
<p><img src="cid:pickup-code" alt="${escapeHtml(t.code)}: ${escapeHtml(code)}" width="200" height="200"></p>
<p>${escapeHtml(t.until)}: <strong>${escapeHtml(until)}</strong></p>
<p>${escapeHtml(t.how)}</p>
<p>${escapeHtml(f.libraryName)}</p>
</body></html>`;
  return {
    to,
    subject: t.subject(f),
    text,
    html,
    attachments: [{ filename: 'pickup-code.png', content: png, contentType: 'image/png', cid: 'pickup-code' }],
  };
}
