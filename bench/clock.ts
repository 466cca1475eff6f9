/** The real monotonic clock, captured before any test installs fake timers. */
const realHrtime = process.hrtime.bigint.bind(process.hrtime);

export function realNowMs(): number {
  return Number(realHrtime()) / 1e6;
}
