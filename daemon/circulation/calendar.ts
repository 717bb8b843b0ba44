/**
 * The library calendar (domain.md §3.3): the ZAPRTO calendar of closed days and the ZAMUDNINA
 * overrides for fines. Weekly closed days and national holidays come from the policy preset; single
 * days (a special closure, a closed day on which fines are charged, an open day without fines) come
 * from the store, library-wide or per department, the department's row winning.
 */
import { addDays, weekday, WEEKDAY_CODES, type PlainDate, type WeekdayCode } from './dates.ts';

export type HolidayCountry = 'SI' | 'LV' | 'HU';

export interface CalendarDay {
  closed: boolean;
  fineCharged: boolean;
  noFine: boolean;
  note: string | null;
}

export interface CalendarPolicy {
  closedWeekdays: WeekdayCode[];
  nationalHolidays: HolidayCountry | null;
  /** Default false: no fine for closed days unless the day is flagged (001:L177). */
  fineOnClosedDays: boolean;
}

/** Gregorian Easter Sunday (Meeus/Jones/Butcher computus). */
export function easterSunday(year: number): PlainDate {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Work-free public holidays by country, for one year. */
export function nationalHolidays(country: HolidayCountry, year: number): Map<PlainDate, string> {
  const out = new Map<PlainDate, string>();
  const y = String(year);
  const fixed = (md: string, name: string) => out.set(`${y}-${md}`, name);
  const easter = easterSunday(year);
  switch (country) {
    case 'SI': // Zakon o praznikih in dela prostih dnevih
      fixed('01-01', 'novo leto');
      fixed('01-02', 'novo leto');
      fixed('02-08', 'Prešernov dan');
      out.set(easter, 'velikonočna nedelja');
      out.set(addDays(easter, 1), 'velikonočni ponedeljek');
      fixed('04-27', 'dan upora proti okupatorju');
      fixed('05-01', 'praznik dela');
      fixed('05-02', 'praznik dela');
      out.set(addDays(easter, 49), 'binkoštna nedelja');
      fixed('06-25', 'dan državnosti');
      fixed('08-15', 'Marijino vnebovzetje');
      fixed('10-31', 'dan reformacije');
      fixed('11-01', 'dan spomina na mrtve');
      fixed('12-25', 'božič');
      fixed('12-26', 'dan samostojnosti in enotnosti');
      break;
    case 'LV': {
      // Likums "Par svētku, atceres un atzīmējamām dienām"; 4 May and 18 November move to the
      // following Monday when they fall on a weekend.
      const movable = (md: string, name: string) => {
        const d = `${y}-${md}`;
        out.set(d, name);
        const wd = weekday(d);
        if (wd === 6) out.set(addDays(d, 2), `${name} (pārcelts)`);
        if (wd === 0) out.set(addDays(d, 1), `${name} (pārcelts)`);
      };
      fixed('01-01', 'Jaunais gads');
      out.set(addDays(easter, -2), 'Lielā Piektdiena');
      out.set(easter, 'Lieldienas');
      out.set(addDays(easter, 1), 'Otrās Lieldienas');
      fixed('05-01', 'Darba svētki');
      movable('05-04', 'Latvijas Republikas Neatkarības atjaunošanas diena');
      out.set(addDays(easter, 49), 'Vasarsvētki');
      fixed('06-23', 'Līgo diena');
      fixed('06-24', 'Jāņu diena');
      movable('11-18', 'Latvijas Republikas proklamēšanas diena');
      fixed('12-24', 'Ziemassvētku vakars');
      fixed('12-25', 'Ziemassvētki');
      fixed('12-26', 'Otrie Ziemassvētki');
      fixed('12-31', 'Vecgada vakars');
      break;
    }
    case 'HU': // Munka törvénykönyve 102. § (1)
      fixed('01-01', 'újév');
      fixed('03-15', 'nemzeti ünnep');
      out.set(addDays(easter, -2), 'nagypéntek');
      out.set(easter, 'húsvétvasárnap');
      out.set(addDays(easter, 1), 'húsvéthétfő');
      fixed('05-01', 'a munka ünnepe');
      out.set(addDays(easter, 49), 'pünkösdvasárnap');
      out.set(addDays(easter, 50), 'pünkösdhétfő');
      fixed('08-20', 'államalapítás ünnepe');
      fixed('10-23', 'nemzeti ünnep');
      fixed('11-01', 'mindenszentek');
      fixed('12-25', 'karácsony');
      fixed('12-26', 'karácsony');
      break;
  }
  return out;
}

export class Calendar {
  private readonly holidayCache = new Map<number, Map<PlainDate, string>>();
  private readonly closedWeekdays: Set<number>;

  /**
   * @param specialDays keyed by department code ('' = whole library), then by date.
   */
  constructor(
    private readonly policy: CalendarPolicy,
    private specialDays: Map<string, Map<PlainDate, CalendarDay>> = new Map(),
  ) {
    this.closedWeekdays = new Set(policy.closedWeekdays.map((c) => WEEKDAY_CODES.indexOf(c)));
  }

  replaceSpecialDays(days: Map<string, Map<PlainDate, CalendarDay>>): void {
    this.specialDays = days;
  }

  holiday(date: PlainDate): string | null {
    if (!this.policy.nationalHolidays) return null;
    const year = Number(date.slice(0, 4));
    let h = this.holidayCache.get(year);
    if (!h) {
      h = nationalHolidays(this.policy.nationalHolidays, year);
      this.holidayCache.set(year, h);
    }
    return h.get(date) ?? null;
  }

  private special(date: PlainDate, department: string | null): CalendarDay | undefined {
    if (department) {
      const d = this.specialDays.get(department)?.get(date);
      if (d) return d;
    }
    return this.specialDays.get('')?.get(date);
  }

  isClosed(date: PlainDate, department: string | null = null): boolean {
    const s = this.special(date, department);
    if (s) return s.closed;
    return this.closedWeekdays.has(weekday(date)) || this.holiday(date) !== null;
  }

  /** Is an overdue day counted for fines (ZAMUDNINA)? */
  isFineDay(date: PlainDate, department: string | null = null): boolean {
    const s = this.special(date, department);
    if (this.isClosed(date, department)) return s?.fineCharged ?? this.policy.fineOnClosedDays;
    return !(s?.noFine ?? false);
  }

  /** The date itself if open, otherwise the first following open day (001:L118, L2131). */
  nextOpenDay(date: PlainDate, department: string | null = null): PlainDate {
    let d = date;
    for (let i = 0; i < 400; i++) {
      if (!this.isClosed(d, department)) return d;
      d = addDays(d, 1);
    }
    // A calendar closed for more than a year is a configuration error; do not loop forever.
    return date;
  }

  describe(date: PlainDate, department: string | null = null): { closed: boolean; reason: string | null } {
    const s = this.special(date, department);
    if (s) return { closed: s.closed, reason: s.note };
    const h = this.holiday(date);
    if (h) return { closed: true, reason: h };
    return { closed: this.closedWeekdays.has(weekday(date)), reason: null };
  }
}
