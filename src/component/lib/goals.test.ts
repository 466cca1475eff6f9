import { describe, expect, test } from "vitest";
import {
  goalDefinitionProblem,
  goalMatcher,
  goalsOfEvent,
  pathPatternRegExp,
} from "./goals.js";

const pageview = (path: string) => ({
  type: "pageview" as const,
  name: "pageview",
  path,
});

describe("path patterns (README, Goals)", () => {
  const cases: [string, string, boolean][] = [
    ["/pricing", "/pricing", true],
    ["/pricing", "/pricing/", false],
    ["/pricing", "/pricing?plan=pro", false],
    ["/pricing", "/Pricing", false],
    ["/blog/*", "/blog/hello", true],
    ["/blog/*", "/blog/", true],
    ["/blog/*", "/blog", false],
    ["/blog/*", "/blog/a/b", false],
    ["/blog/**", "/blog/a/b", true],
    ["/blog/**", "/blog/", true],
    ["/checkout/*/done", "/checkout/123/done", true],
    ["/checkout/*/done", "/checkout//done", true],
    ["/checkout/*/done", "/checkout/1/2/done", false],
    ["/checkout/*/done", "/checkout/123/done/", false],
    ["/checkout/**/done", "/checkout/1/2/done", true],
    ["/a.b", "/aXb", false],
    ["/p(1)", "/p(1)", true],
    ["/page-1*", "/page-12", true],
    ["/page-1*", "/page-2", false],
    ["*", "/x", false],
  ];
  test.each(cases)("%s on %s: %s", (pattern, path, expected) => {
    expect(pathPatternRegExp(pattern).test(path)).toBe(expected);
    expect(
      goalMatcher({ kind: "path", pathPattern: pattern })(pageview(path)),
    ).toBe(expected);
  });

  test("path goals match pageviews only", () => {
    const m = goalMatcher({ kind: "path", pathPattern: "/x" });
    expect(m({ type: "track", name: "x", path: "/x" })).toBe(false);
  });
});

describe("event goals", () => {
  const signupPro = goalMatcher({
    kind: "event",
    eventName: "signup",
    propertyKey: "plan",
    propertyValue: "pro",
  });
  test("name and one property equal to a value, strictly", () => {
    expect(
      signupPro({ type: "track", name: "signup", properties: { plan: "pro" } }),
    ).toBe(true);
    expect(
      signupPro({
        type: "track",
        name: "signup",
        properties: { plan: "free" },
      }),
    ).toBe(false);
    expect(signupPro({ type: "track", name: "signup" })).toBe(false);
    expect(
      signupPro({ type: "track", name: "Signup", properties: { plan: "pro" } }),
    ).toBe(false);
    const step2 = goalMatcher({
      kind: "event",
      eventName: "s",
      propertyKey: "step",
      propertyValue: 2,
    });
    expect(step2({ type: "track", name: "s", properties: { step: 2 } })).toBe(
      true,
    );
    expect(step2({ type: "track", name: "s", properties: { step: "2" } })).toBe(
      false,
    );
  });
  test("one event can convert several goals", () => {
    const goals = [
      { id: "a", matches: goalMatcher({ kind: "event", eventName: "signup" }) },
      { id: "b", matches: signupPro },
      { id: "c", matches: goalMatcher({ kind: "path", pathPattern: "/**" }) },
    ];
    expect(
      goalsOfEvent(goals, {
        type: "track",
        name: "signup",
        properties: { plan: "pro" },
      }),
    ).toEqual(["a", "b"]);
  });
});

test("definition problems are named", () => {
  expect(
    goalDefinitionProblem({ kind: "path", pathPattern: "pricing" }),
  ).toMatch(/must start with "\/"/);
  expect(
    goalDefinitionProblem({ kind: "path", pathPattern: "/a/***" }),
  ).toMatch(/\*\*\*/);
  expect(goalDefinitionProblem({ kind: "event", eventName: "" })).toMatch(
    /eventName/,
  );
  expect(
    goalDefinitionProblem({ kind: "event", eventName: "pageview" }),
  ).toMatch(/not a custom event/);
  expect(
    goalDefinitionProblem({ kind: "event", eventName: "x", propertyKey: "k" }),
  ).toMatch(/go together/);
  expect(
    goalDefinitionProblem({ kind: "event", eventName: "x".repeat(121) }),
  ).toMatch(/120/);
  expect(
    goalDefinitionProblem({
      kind: "event",
      eventName: "signup",
      propertyKey: "plan",
      propertyValue: "pro",
    }),
  ).toBeNull();
  expect(
    goalDefinitionProblem({ kind: "path", pathPattern: "/checkout/*/done" }),
  ).toBeNull();
});
