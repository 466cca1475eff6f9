/**
 * Property breakdowns computed straight from the raw events a test sent,
 * sharing no code with the component, following the README's definition
 * ("Report functions"): per UTC hour, one property key of one event name
 * keeps its `cap` smallest values (string order); that hour's events with
 * any other value count in "(other)". Counts are events, visitors are
 * distinct visitor ids over the range.
 */

export type PropertyEvent = {
  visitorId: string;
  name: string;
  occurredAt: number;
  properties?: Record<string, string | number | boolean | null>;
};

export type TruthBreakdownRow = {
  value: string;
  count: number;
  visitors: number;
  other?: true;
};

const HOUR = 3_600_000;

function byCountThenName<T extends { count: number }>(name: (r: T) => string) {
  return (a: T, b: T) =>
    b.count - a.count || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

export function truthBreakdown(
  events: PropertyEvent[],
  eventName: string,
  propertyKey: string,
  from: number,
  to: number,
  cap: number,
  limit: number,
): TruthBreakdownRow[] {
  const inRange = events.filter(
    (e) =>
      e.name === eventName &&
      e.occurredAt >= from &&
      e.occurredAt < to &&
      e.properties !== undefined &&
      propertyKey in e.properties,
  );
  const valuesByHour = new Map<number, Set<string>>();
  for (const e of inRange) {
    const hour = Math.floor(e.occurredAt / HOUR);
    if (!valuesByHour.has(hour)) valuesByHour.set(hour, new Set());
    valuesByHour.get(hour)!.add(String(e.properties![propertyKey]));
  }
  const keptByHour = new Map<number, Set<string>>();
  for (const [hour, values] of valuesByHour) {
    const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    keptByHour.set(hour, new Set(sorted.slice(0, cap)));
  }
  const rows = new Map<string, { count: number; visitors: Set<string> }>();
  const other = { count: 0, visitors: new Set<string>() };
  for (const e of inRange) {
    const value = String(e.properties![propertyKey]);
    const hour = Math.floor(e.occurredAt / HOUR);
    const target = keptByHour.get(hour)!.has(value)
      ? (rows.get(value) ??
        rows.set(value, { count: 0, visitors: new Set() }).get(value)!)
      : other;
    target.count++;
    target.visitors.add(e.visitorId);
  }
  const shown: TruthBreakdownRow[] = [...rows]
    .map(([value, r]) => ({ value, count: r.count, visitors: r.visitors.size }))
    .sort(byCountThenName((r) => r.value))
    .slice(0, limit);
  if (other.count > 0)
    shown.push({
      value: "(other)",
      count: other.count,
      visitors: other.visitors.size,
      other: true,
    });
  return shown;
}

export function truthPropertyKeys(
  events: PropertyEvent[],
  eventName: string,
  from: number,
  to: number,
): { key: string; count: number; visitors: number }[] {
  const keys = new Map<string, { count: number; visitors: Set<string> }>();
  for (const e of events) {
    if (e.name !== eventName || e.occurredAt < from || e.occurredAt >= to)
      continue;
    for (const key of Object.keys(e.properties ?? {})) {
      if (!keys.has(key)) keys.set(key, { count: 0, visitors: new Set() });
      keys.get(key)!.count++;
      keys.get(key)!.visitors.add(e.visitorId);
    }
  }
  return [...keys]
    .map(([key, r]) => ({ key, count: r.count, visitors: r.visitors.size }))
    .sort(byCountThenName((r) => r.key));
}
