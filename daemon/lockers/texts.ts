/** What the kiosk shows when a locker pickup does not go ahead, per language (notes/locker-contract.md). */
import type { LockerFailureCode } from '../../protocols/kiosk-api/events.ts';
import type { NoticeLanguage } from './notify.ts';

/**
 * The locker service's own outcomes: the kiosk contract's list (protocols/kiosk-api/events.ts, where
 * each is described) without `locker_unavailable`, which the station says when there is no locker.
 */
export type PickupFailure = Exclude<LockerFailureCode, 'locker_unavailable'>;

const TEXTS: Record<NoticeLanguage, Record<PickupFailure, string>> = {
  en: {
    code_unknown: 'This pickup code is not known. Please check the code in your message.',
    code_used: 'This pickup code has already been used.',
    hold_expired: 'The time to collect this reservation has passed. Please ask the library staff.',
    nothing_ready: 'Nothing is waiting for you in the locker.',
    door_failed: 'The compartment door did not open, so nothing was lent to you. The staff have been told.',
    locker_offline: 'The locker is out of order at the moment. Please try again later or ask the library staff.',
    patron_refused: 'The items cannot be lent to you at the moment. Please ask the library staff.',
    too_many_attempts: 'Too many wrong codes were entered. Please wait a few minutes, or ask the library staff.',
    code_other_patron: 'This code is for another reader’s reservations. Please finish your own visit first, then enter the code.',
  },
  sl: {
    code_unknown: 'Te kode za prevzem ne poznamo. Preverite kodo v sporočilu.',
    code_used: 'Ta koda za prevzem je bila že uporabljena.',
    hold_expired: 'Rok za prevzem te rezervacije je potekel. Obrnite se na knjižničarja.',
    nothing_ready: 'V paketniku vas nič ne čaka.',
    door_failed: 'Vrata predala se niso odprla, zato vam ni bilo nič izposojeno. Osebje je obveščeno.',
    locker_offline: 'Paketnik trenutno ne deluje. Poskusite pozneje ali se obrnite na knjižničarja.',
    patron_refused: 'Gradiva vam trenutno ne moremo izposoditi. Obrnite se na knjižničarja.',
    too_many_attempts: 'Vnesenih je bilo preveč napačnih kod. Počakajte nekaj minut ali se obrnite na knjižničarja.',
    code_other_patron: 'Ta koda je za rezervacije drugega člana. Najprej zaključite svoj obisk, nato vnesite kodo.',
  },
  lv: {
    code_unknown: 'Šis saņemšanas kods nav zināms. Lūdzu, pārbaudiet kodu ziņā.',
    code_used: 'Šis saņemšanas kods jau ir izmantots.',
    hold_expired: 'Šīs rezervācijas saņemšanas laiks ir beidzies. Lūdzu, vērsieties pie bibliotekāra.',
    nothing_ready: 'Pakomātā jums nekas negaida.',
    door_failed: 'Nodalījuma durvis neatvērās, tāpēc nekas jums netika izsniegts. Darbinieki ir informēti.',
    locker_offline: 'Pakomāts pašlaik nedarbojas. Lūdzu, mēģiniet vēlāk vai vērsieties pie bibliotekāra.',
    patron_refused: 'Izdevumus jums pašlaik nevar izsniegt. Lūdzu, vērsieties pie bibliotekāra.',
    too_many_attempts: 'Ievadīts pārāk daudz nepareizu kodu. Lūdzu, uzgaidiet dažas minūtes vai vērsieties pie bibliotekāra.',
    code_other_patron: 'Šis kods ir cita lasītāja rezervācijām. Lūdzu, vispirms pabeidziet savu apmeklējumu un tad ievadiet kodu.',
  },
  hu: {
    code_unknown: 'Ez az átvételi kód ismeretlen. Kérjük, ellenőrizze az üzenetben kapott kódot.',
    code_used: 'Ezt az átvételi kódot már felhasználták.',
    hold_expired: 'A foglalás átvételi ideje lejárt. Kérjük, forduljon a könyvtároshoz.',
    nothing_ready: 'Az automatában nem várja semmi.',
    door_failed: 'A rekesz ajtaja nem nyílt ki, ezért nem kölcsönöztünk ki semmit. A személyzetet értesítettük.',
    locker_offline: 'Az automata jelenleg nem működik. Kérjük, próbálja később, vagy forduljon a könyvtároshoz.',
    patron_refused: 'A dokumentumokat most nem kölcsönözhetjük ki Önnek. Kérjük, forduljon a könyvtároshoz.',
    too_many_attempts: 'Túl sok hibás kódot adtak meg. Kérjük, várjon néhány percet, vagy forduljon a könyvtároshoz.',
    code_other_patron: 'Ez a kód egy másik olvasó foglalásaihoz tartozik. Kérjük, előbb fejezze be a saját ügyintézését, majd adja meg a kódot.',
  },
};

export function pickupFailureText(code: PickupFailure, language: NoticeLanguage): string {
  return (TEXTS[language] ?? TEXTS.en)[code];
}

export function asNoticeLanguage(l: string | undefined | null, fallback: NoticeLanguage): NoticeLanguage {
  return l === 'en' || l === 'sl' || l === 'lv' || l === 'hu' ? l : fallback;
}
