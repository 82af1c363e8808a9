/**
 * Quiet hours: unless a text is urgent, it goes out only inside the church's sending window
 * (default 09:00-20:00) in the church's own time zone; outside it, sending waits for the next
 * opening. Minutes are local wall-clock minutes; daylight-saving changes are handled by asking
 * Intl for the zone's offset at the candidate instant.
 */
export interface SendWindow {
  /** minutes after local midnight, e.g. 9 * 60 */
  startMin: number;
  /** minutes after local midnight, exclusive, e.g. 20 * 60 */
  endMin: number;
}

export function parseWindow(start: string, end: string): SendWindow {
  const toMin = (s: string) => {
    const m = /^(\d{2}):(\d{2})$/.exec(s);
    if (!m || Number(m[1]) > 24 || Number(m[2]) > 59) throw new Error(`not a HH:MM time: ${s}`);
    return Number(m[1]) * 60 + Number(m[2]);
  };
  const w = { startMin: toMin(start), endMin: toMin(end) };
  if (w.startMin >= w.endMin) throw new Error(`the sending window must start before it ends: ${start}-${end}`);
  return w;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  minutes: number;
}

function localParts(at: Date, timeZone: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), minutes: get('hour') * 60 + get('minute') };
}

/** The instant at which the local wall clock in `timeZone` shows the given date and minutes. */
function instantOf(timeZone: string, year: number, month: number, day: number, minutes: number): Date {
  // start from the same wall time read as UTC, then correct by the zone's offset (twice for DST edges)
  let guess = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), timeZone);
    const shownAsUtc = Date.UTC(p.year, p.month - 1, p.day, Math.floor(p.minutes / 60), p.minutes % 60);
    guess += Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60) - shownAsUtc;
  }
  return new Date(guess);
}

export function isInsideWindow(at: Date, timeZone: string, w: SendWindow): boolean {
  const { minutes } = localParts(at, timeZone);
  return minutes >= w.startMin && minutes < w.endMin;
}

/** `at` itself when inside the window, else the next opening of the window. */
export function nextSendTime(at: Date, timeZone: string, w: SendWindow): Date {
  const p = localParts(at, timeZone);
  if (p.minutes >= w.startMin && p.minutes < w.endMin) return at;
  if (p.minutes < w.startMin) return instantOf(timeZone, p.year, p.month, p.day, w.startMin);
  // after the window: tomorrow's opening (Date.UTC normalises day + 1 across months and years)
  const tomorrow = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return instantOf(timeZone, tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), w.startMin);
}
