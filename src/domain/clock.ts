/** Where "now" comes from: the system clock, or a simulation that runs days in seconds. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
