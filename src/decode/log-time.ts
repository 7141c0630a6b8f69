/**
 * The access log Time field: `[dd/Mon/yyyy:HH:mm:ss ±hhmm]`, English month abbreviations, any
 * offset (S3 writes +0000; other producers of the format do not). 28 characters with brackets.
 */
export const LOG_TIME_LENGTH = 28;

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -100_000;
}

const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1);

/** 0-based month from the three letters at i (case-sensitive, as strftime %b writes them), or -1. */
function month(s: string, i: number): number {
  const key = (s.charCodeAt(i) << 16) | (s.charCodeAt(i + 1) << 8) | s.charCodeAt(i + 2);
  switch (key) {
    case 0x4a616e:
      return 0; // Jan
    case 0x466562:
      return 1; // Feb
    case 0x4d6172:
      return 2; // Mar
    case 0x417072:
      return 3; // Apr
    case 0x4d6179:
      return 4; // May
    case 0x4a756e:
      return 5; // Jun
    case 0x4a756c:
      return 6; // Jul
    case 0x417567:
      return 7; // Aug
    case 0x536570:
      return 8; // Sep
    case 0x4f6374:
      return 9; // Oct
    case 0x4e6f76:
      return 10; // Nov
    case 0x446563:
      return 11; // Dec
    default:
      return -1;
  }
}

const MONTH_2 = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'];

function daysIn(m: number, y: number): number {
  if (m === 1) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 3 || m === 5 || m === 8 || m === 10 ? 30 : 31;
}

/**
 * Parses the Time field starting at s[p] (the `[`) into ISO 8601 UTC with milliseconds
 * (`2019-02-06T00:00:38.000Z`, the form Date#toISOString writes), or undefined when it is not a
 * valid time. The common +0000 case is assembled from the digits without a Date.
 */
export function parseLogTime(s: string, p: number): string | undefined {
  if (p + LOG_TIME_LENGTH > s.length) return undefined;
  if (
    s.charCodeAt(p) !== 91 || // [
    s.charCodeAt(p + 3) !== 47 || // /
    s.charCodeAt(p + 7) !== 47 ||
    s.charCodeAt(p + 12) !== 58 || // :
    s.charCodeAt(p + 15) !== 58 ||
    s.charCodeAt(p + 18) !== 58 ||
    s.charCodeAt(p + 21) !== 32 ||
    s.charCodeAt(p + 27) !== 93 // ]
  ) {
    return undefined;
  }
  const day = two(s, p + 1);
  const mon = month(s, p + 4);
  const year = two(s, p + 8) * 100 + two(s, p + 10);
  const hour = two(s, p + 13);
  const minute = two(s, p + 16);
  const second = two(s, p + 19);
  const sign = s.charCodeAt(p + 22);
  const offH = two(s, p + 23);
  const offM = two(s, p + 25);
  if (mon < 0 || year < 0 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  if (day > daysIn(mon, year) || offH < 0 || offH > 23 || offM < 0 || offM > 59 || (sign !== 43 && sign !== 45)) return undefined;
  const offset = offH * 60 + offM;
  if (offset === 0 && second < 60) {
    return `${s.slice(p + 8, p + 12)}-${MONTH_2[mon]!}-${s.slice(p + 1, p + 3)}T${s.slice(p + 13, p + 21)}.000Z`;
  }
  const d = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  d.setUTCFullYear(year, mon, day);
  d.setUTCHours(hour, minute - (sign === 45 ? -offset : offset), second, 0);
  const iso = d.toISOString();
  // Years before 0 or after 9999 once the offset is applied: not a time S3 can have written.
  return iso.length === 24 ? iso : undefined;
}

const SECOND_SUFFIX = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(2, '0')}.000Z`);

// Records of one log object mostly share their minute. Its text, `[dd/Mon/yyyy:HH:mm:`, is matched
// with one indexOf at the field's position: the search runs in native code, and comparing a sliced
// string with === would be a runtime call, several times dearer.
let lastMinute = '';
let lastPrefix = '';
// The offset of the remembered time, `+hhmm`, as character codes.
let o0 = 0;
let o1 = 0;
let o2 = 0;
let o3 = 0;
let o4 = 0;
// ISO strings of the remembered minute by second: records of the same second share one string.
let lastSeconds: (string | undefined)[] = [];

/**
 * parseLogTime, with the previous valid time's minute and offset reused: every character is still
 * checked (the minute by the match, the rest one by one), only the date arithmetic and string
 * building are skipped.
 */
export function parseLogTimeMemo(s: string, p: number): string | undefined {
  if (lastMinute !== '' && s.indexOf(lastMinute, p) === p && s.charCodeAt(p + 21) === 32 && s.charCodeAt(p + 27) === 93) {
    const a = s.charCodeAt(p + 19) - 48;
    const b = s.charCodeAt(p + 20) - 48;
    if (
      a >= 0 &&
      a <= 5 &&
      b >= 0 &&
      b <= 9 &&
      s.charCodeAt(p + 22) === o0 &&
      s.charCodeAt(p + 23) === o1 &&
      s.charCodeAt(p + 24) === o2 &&
      s.charCodeAt(p + 25) === o3 &&
      s.charCodeAt(p + 26) === o4
    ) {
      const second = a * 10 + b;
      return (lastSeconds[second] ??= lastPrefix + SECOND_SUFFIX[second]!);
    }
  }
  const iso = parseLogTime(s, p);
  // Second 60 (a leap second, rolled over by Date) is never memoised.
  if (iso !== undefined && s.charCodeAt(p + 19) !== 54) {
    const minute = s.slice(p, p + 19);
    if (
      minute !== lastMinute ||
      s.charCodeAt(p + 22) !== o0 ||
      s.charCodeAt(p + 23) !== o1 ||
      s.charCodeAt(p + 24) !== o2 ||
      s.charCodeAt(p + 25) !== o3 ||
      s.charCodeAt(p + 26) !== o4
    ) {
      lastMinute = minute;
      lastPrefix = iso.slice(0, 17);
      lastSeconds = new Array<string | undefined>(60).fill(undefined);
      o0 = s.charCodeAt(p + 22);
      o1 = s.charCodeAt(p + 23);
      o2 = s.charCodeAt(p + 24);
      o3 = s.charCodeAt(p + 25);
      o4 = s.charCodeAt(p + 26);
    }
  }
  return iso;
}
