// @vitest-environment happy-dom
/**
 * The playground's client under convex/react's real hooks (`useQuery`,
 * `useQueries`, `useMutation`) and convex-helpers' paginated hook, against
 * an in-memory bridge that speaks the playground server's protocol.
 */
import {
  act,
  cleanup,
  fireEvent,
  render,
  screen,
  waitFor,
} from "@testing-library/react";
import {
  ConvexProvider,
  useMutation,
  useQueries,
  useQuery,
  type ConvexReactClient,
} from "convex/react";
import { usePaginatedQuery } from "convex-helpers/react";
import { makeFunctionReference } from "convex/server";
import {
  convexToJson,
  jsonToConvex,
  type JSONValue,
  type Value,
} from "convex/values";
import { useMemo, useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PlaygroundClient } from "./client";

// ---- an in-memory bridge: the playground server's protocol over fake fetch/EventSource

class FakeEventSource {
  static last: FakeEventSource | undefined;
  private listeners = new Map<string, ((event: { data: string }) => void)[]>();
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
    queueMicrotask(() => this.emit("hello", { commits: 0 }));
  }
  addEventListener(type: string, listener: (event: { data: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  emit(type: string, data: unknown) {
    for (const listener of this.listeners.get(type) ?? [])
      listener({ data: JSON.stringify(data) });
  }
  close() {
    this.closed = true;
  }
}

let items: string[];
let failing: Set<string>;
let calls: { kind: string; path: string; args: Record<string, Value> }[];
let commits = 0;

function answer(
  kind: string,
  path: string,
  args: Record<string, Value>,
):
  | { status: "success"; value: JSONValue }
  | { status: "error"; errorMessage: string } {
  calls.push({ kind, path, args });
  if (failing.has(path))
    return { status: "error", errorMessage: `${path} failed on purpose` };
  if (path === "items:list") return { status: "success", value: [...items] };
  if (path === "items:count")
    return { status: "success", value: items.length > 0 ? 1 : 0 };
  if (path === "items:add") {
    items.push(args.text as string);
    return { status: "success", value: items.length };
  }
  if (path === "items:page") {
    const { cursor, numItems } = args.paginationOpts as {
      cursor: string | null;
      numItems: number;
    };
    const start = cursor === null ? 0 : Number(cursor);
    const end = Math.min(items.length, start + numItems);
    return {
      status: "success",
      value: convexToJson({
        page: items.slice(start, end),
        isDone: end >= items.length,
        continueCursor: String(end),
      }),
    };
  }
  return {
    status: "error",
    errorMessage: `Could not find public ${kind} "${path}"`,
  };
}

/** Tells the client that a write committed, as the server's event stream does. */
function commit() {
  commits += 1;
  act(() => FakeEventSource.last!.emit("commit", { commits }));
}

const list = makeFunctionReference<"query", Record<string, never>, string[]>(
  "items:list",
);
const count = makeFunctionReference<"query", Record<string, never>, number>(
  "items:count",
);
const add = makeFunctionReference<"mutation", { text: string }, number>(
  "items:add",
);
const pageQuery = makeFunctionReference<
  "query",
  { paginationOpts: { cursor: string | null; numItems: number } },
  { page: string[]; isDone: boolean; continueCursor: string }
>("items:page");

let client: PlaygroundClient;

beforeEach(() => {
  items = ["a", "b", "c", "d", "e"];
  failing = new Set();
  calls = [];
  commits = 0;
  vi.stubGlobal("EventSource", FakeEventSource);
  vi.stubGlobal("fetch", async (url: string, init: { body: string }) => {
    const kind = url.slice(url.lastIndexOf("/") + 1);
    const { path, args } = JSON.parse(init.body) as {
      path: string;
      args: JSONValue;
    };
    const outcome = answer(
      kind,
      path,
      jsonToConvex(args) as Record<string, Value>,
    );
    return new Response(JSON.stringify(outcome), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  });
  client = new PlaygroundClient({ origin: "http://playground.test" });
});

afterEach(async () => {
  cleanup();
  await client.close();
  vi.unstubAllGlobals();
});

function withClient(children: React.ReactNode) {
  return (
    <ConvexProvider client={client as unknown as ConvexReactClient}>
      {children}
    </ConvexProvider>
  );
}

describe("PlaygroundClient", () => {
  it("feeds useQuery and pushes a mutation's result to the watchers after the commit", async () => {
    function Items() {
      const shown = useQuery(list, {});
      const addItem = useMutation(add);
      return (
        <>
          <p data-testid="items">
            {shown === undefined ? "loading" : shown.join(",")}
          </p>
          <button onClick={() => void addItem({ text: "f" })}>Add</button>
        </>
      );
    }
    render(withClient(<Items />));
    expect(screen.getByTestId("items").textContent).toBe("loading");
    await waitFor(() =>
      expect(screen.getByTestId("items").textContent).toBe("a,b,c,d,e"),
    );
    fireEvent.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() =>
      expect(
        calls.some((c) => c.kind === "mutation" && c.path === "items:add"),
      ).toBe(true),
    );
    // Nothing changes on screen until the server announces the commit…
    expect(screen.getByTestId("items").textContent).toBe("a,b,c,d,e");
    commit();
    // …then the watched query is re-run and its new result pushed.
    await waitFor(() =>
      expect(screen.getByTestId("items").textContent).toBe("a,b,c,d,e,f"),
    );
    expect(calls.find((c) => c.kind === "mutation")!.args).toEqual({
      text: "f",
    });
  });

  it("shares one subscription between watchers and hands on only results that changed", async () => {
    let renders = 0;
    function Count({ id }: { id: string }) {
      renders += 1;
      const value = useQuery(count, {});
      return <p data-testid={id}>{value ?? "…"}</p>;
    }
    render(
      withClient(
        <>
          <Count id="one" />
          <Count id="two" />
        </>,
      ),
    );
    await waitFor(() =>
      expect(screen.getByTestId("two").textContent).toBe("1"),
    );
    const asked = calls.filter((c) => c.path === "items:count").length;
    expect(asked).toBe(1);
    const rendersBefore = renders;
    items.push("x"); // the count query still answers 1
    commit();
    await waitFor(() =>
      expect(calls.filter((c) => c.path === "items:count").length).toBe(2),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(renders).toBe(rendersBefore);
  });

  it("hands a failed query to useQueries as an Error, and asks again when watched anew", async () => {
    failing.add("items:list");
    function Probe() {
      const [attempt, setAttempt] = useState(0);
      // Like useQuery, a request object that only changes when it should.
      const request = useMemo(
        (): Parameters<typeof useQueries>[0] =>
          attempt % 2 === 0 ? { items: { query: list, args: {} } } : {},
        [attempt],
      );
      const result = useQueries(request).items;
      return (
        <>
          <p data-testid="state">
            {result instanceof Error
              ? `error: ${result.message}`
              : result === undefined
                ? "loading"
                : result.join(",")}
          </p>
          <button onClick={() => setAttempt((n) => n + 1)}>Toggle</button>
        </>
      );
    }
    render(withClient(<Probe />));
    await waitFor(() =>
      expect(screen.getByTestId("state").textContent).toBe(
        "error: items:list failed on purpose",
      ),
    );
    failing.clear();
    // A commit re-runs it as well, but a retry must not wait for one: unwatch and watch again.
    fireEvent.click(screen.getByRole("button", { name: "Toggle" }));
    fireEvent.click(screen.getByRole("button", { name: "Toggle" }));
    await waitFor(() =>
      expect(screen.getByTestId("state").textContent).toBe("a,b,c,d,e"),
    );
  });

  it("pages with convex-helpers' usePaginatedQuery", async () => {
    function Pages() {
      const { results, status, loadMore } = usePaginatedQuery(
        pageQuery,
        {},
        { initialNumItems: 2 },
      );
      return (
        <>
          <p data-testid="rows">{results.join(",")}</p>
          <p data-testid="status">{status}</p>
          <button onClick={() => loadMore(2)}>More</button>
        </>
      );
    }
    render(withClient(<Pages />));
    await waitFor(() =>
      expect(screen.getByTestId("rows").textContent).toBe("a,b"),
    );
    expect(screen.getByTestId("status").textContent).toBe("CanLoadMore");
    fireEvent.click(screen.getByRole("button", { name: "More" }));
    await waitFor(() =>
      expect(screen.getByTestId("rows").textContent).toBe("a,b,c,d"),
    );
    fireEvent.click(screen.getByRole("button", { name: "More" }));
    await waitFor(() =>
      expect(screen.getByTestId("status").textContent).toBe("Exhausted"),
    );
    expect(screen.getByTestId("rows").textContent).toBe("a,b,c,d,e");
  });

  it("rejects a failed mutation with the server's message and closes its stream", async () => {
    failing.add("items:add");
    await expect(client.mutation(add, { text: "z" })).rejects.toThrow(
      "items:add failed on purpose",
    );
    expect(client.connectionState().isWebSocketConnected).toBe(true);
    await client.close();
    expect(FakeEventSource.last!.closed).toBe(true);
  });
});
