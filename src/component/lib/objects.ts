/** Convex documents cannot hold `undefined`; optional fields are left out instead. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, x]) => x !== undefined),
  ) as T;
}
