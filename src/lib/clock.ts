/** Time as the domain sees it: one seam for "now" (schedules, expiries, audit stamps, retry times). */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
