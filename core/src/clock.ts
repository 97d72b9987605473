/** Time as the admin and the proxies see it; tests drive leases with a fake one. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
