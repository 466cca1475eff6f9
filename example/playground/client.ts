/**
 * The playground's stand-in for `ConvexReactClient` (browser side). It
 * implements what `ConvexProvider`, `useQuery`/`useQueries`, `useMutation`,
 * `useAction` and the paginated hooks (convex/react's and convex-helpers')
 * call: `watchQuery`, `mutation`, `action`, `logger`, the connection state.
 *
 * Queries run on the playground server's bridge (`server.ts`). The server
 * announces every committed write on an event stream; the client then re-runs
 * the queries someone watches and hands a result to its watchers only when it
 * changed, so the dashboard updates live as it would on a deployment.
 * Only for the playground: a real app uses `ConvexReactClient`.
 */
import {
  ConvexError,
  convexToJson,
  jsonToConvex,
  type JSONValue,
  type Value,
} from "convex/values";
import { getFunctionName, type FunctionReference } from "convex/server";

type Outcome =
  | { status: "success"; value: JSONValue }
  | { status: "error"; errorMessage: string; errorData?: JSONValue };
type Result = { ok: true; value: Value } | { ok: false; error: Error };

interface Entry {
  name: string;
  args: Record<string, Value>;
  /** Last result; undefined until the first one arrives. */
  result?: Result;
  /** JSON text of the last result, to hand on only real changes. */
  resultText?: string;
  listeners: Set<() => void>;
  /** Pending drop after the last watcher left (a remount within it keeps the result). */
  dropTimer?: ReturnType<typeof setTimeout>;
  inFlight?: Promise<void>;
  /** Another run was asked for while one was in flight. */
  again?: boolean;
}

/** What `useQueries` gets from `watchQuery`. */
export interface PlaygroundWatch {
  onUpdate(callback: () => void): () => void;
  localQueryResult(): Value | undefined;
  journal(): undefined;
}

export interface PlaygroundClientOptions {
  /** Where the bridge lives; default the page's origin. */
  origin?: string;
}

export class PlaygroundClient {
  private readonly origin: string;
  private readonly entries = new Map<string, Entry>();
  private readonly events: EventSource;
  private connected = false;
  private readonly connectionListeners = new Set<() => void>();
  /** Commits announced by the server so far (from the event stream). */
  commits = 0;
  readonly logger = {
    log: (...args: unknown[]) => console.log(...args),
    warn: (...args: unknown[]) => console.warn(...args),
    error: (...args: unknown[]) => console.error(...args),
    logVerbose: () => {},
  };

  constructor(options: PlaygroundClientOptions = {}) {
    this.origin = options.origin ?? location.origin;
    this.events = new EventSource(`${this.origin}/api/events`);
    const onCommit = (event: MessageEvent<string>) => {
      this.commits = (JSON.parse(event.data) as { commits: number }).commits;
      this.refreshAll();
    };
    let connectedBefore = false;
    this.events.addEventListener("hello", (event) => {
      this.setConnected(true);
      // After a reconnect, whatever changed meanwhile.
      if (connectedBefore) onCommit(event as MessageEvent<string>);
      connectedBefore = true;
    });
    this.events.addEventListener("commit", (event) =>
      onCommit(event as MessageEvent<string>),
    );
    this.events.addEventListener("error", () => this.setConnected(false));
  }

  // ---- queries -------------------------------------------------------------

  watchQuery(
    query: FunctionReference<"query">,
    args: Record<string, Value> = {},
  ): PlaygroundWatch {
    const name = getFunctionName(query);
    const key = `${name}:${JSON.stringify(convexToJson(args))}`;
    return {
      onUpdate: (callback) => {
        let entry = this.entries.get(key);
        if (!entry) {
          entry = { name, args, listeners: new Set() };
          this.entries.set(key, entry);
        }
        clearTimeout(entry.dropTimer);
        entry.dropTimer = undefined;
        // Watching a failed query again (a "retry") asks the server afresh.
        if (entry.result && !entry.result.ok) {
          entry.result = undefined;
          entry.resultText = undefined;
        }
        entry.listeners.add(callback);
        if (!entry.result && !entry.inFlight) this.run(entry);
        const watched = entry;
        return () => {
          watched.listeners.delete(callback);
          if (watched.listeners.size === 0) {
            watched.dropTimer = setTimeout(() => {
              if (
                watched.listeners.size === 0 &&
                this.entries.get(key) === watched
              )
                this.entries.delete(key);
            }, 1000);
          }
        };
      },
      localQueryResult: () => {
        const result = this.entries.get(key)?.result;
        if (!result) return undefined;
        if (!result.ok) throw result.error;
        return result.value;
      },
      journal: () => undefined,
    };
  }

  /** Re-runs every watched query (after a commit). */
  private refreshAll() {
    for (const entry of this.entries.values())
      if (entry.listeners.size > 0) this.run(entry);
  }

  private run(entry: Entry) {
    if (entry.inFlight) {
      entry.again = true;
      return;
    }
    entry.inFlight = (async () => {
      let result: Result;
      try {
        const outcome = await this.post("query", entry.name, entry.args);
        result = toResult(outcome);
      } catch {
        // The bridge itself is unreachable: keep the last result, like a reconnecting client.
        this.setConnected(false);
        entry.inFlight = undefined;
        return;
      }
      const text = JSON.stringify(
        result.ok
          ? { value: convexToJson(result.value) }
          : { error: result.error.message, data: errorData(result.error) },
      );
      entry.inFlight = undefined;
      if (text !== entry.resultText) {
        entry.result = result;
        entry.resultText = text;
        for (const listener of [...entry.listeners]) listener();
      }
      if (entry.again) {
        entry.again = false;
        this.run(entry);
      }
    })();
  }

  // ---- mutations and actions ----------------------------------------------

  async mutation(
    mutation: FunctionReference<"mutation">,
    args: Record<string, Value> = {},
  ): Promise<Value> {
    return unwrap(
      toResult(await this.post("mutation", getFunctionName(mutation), args)),
    );
  }

  async action(
    action: FunctionReference<"action">,
    args: Record<string, Value> = {},
  ): Promise<Value> {
    return unwrap(
      toResult(await this.post("action", getFunctionName(action), args)),
    );
  }

  /** A one-off query, like `ConvexReactClient.query`. */
  async query(
    query: FunctionReference<"query">,
    args: Record<string, Value> = {},
  ): Promise<Value> {
    return unwrap(
      toResult(await this.post("query", getFunctionName(query), args)),
    );
  }

  watchPaginatedQuery(): never {
    throw new Error(
      "The playground client has no server-side paginated queries; usePaginatedQuery works through watchQuery.",
    );
  }

  prewarmQuery() {}

  // ---- connection -----------------------------------------------------------

  connectionState() {
    return {
      hasInflightRequests: [...this.entries.values()].some(
        (e) => e.inFlight !== undefined,
      ),
      isWebSocketConnected: this.connected,
      timeOfOldestInflightRequest: null,
      hasEverConnected: this.connected,
      connectionCount: this.connected ? 1 : 0,
      connectionRetries: 0,
      inflightMutations: 0,
      inflightActions: 0,
    };
  }

  subscribeToConnectionState(callback: () => void): () => void {
    this.connectionListeners.add(callback);
    return () => this.connectionListeners.delete(callback);
  }

  setAuth() {}
  clearAuth() {}

  async close() {
    this.events.close();
    for (const entry of this.entries.values()) clearTimeout(entry.dropTimer);
    this.entries.clear();
  }

  private setConnected(connected: boolean) {
    if (connected === this.connected) return;
    this.connected = connected;
    for (const listener of this.connectionListeners) listener();
  }

  private async post(
    kind: "query" | "mutation" | "action",
    path: string,
    args: Record<string, Value>,
  ): Promise<Outcome> {
    const response = await fetch(`${this.origin}/api/${kind}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ path, args: convexToJson(args) }),
    });
    if (!response.ok)
      throw new Error(`The playground bridge answered ${response.status}`);
    return (await response.json()) as Outcome;
  }
}

function toResult(outcome: Outcome): Result {
  if (outcome.status === "success")
    return { ok: true, value: jsonToConvex(outcome.value) };
  const error =
    outcome.errorData !== undefined
      ? new ConvexError(jsonToConvex(outcome.errorData))
      : new Error(outcome.errorMessage);
  if (outcome.errorData !== undefined) error.message = outcome.errorMessage;
  return { ok: false, error };
}

function unwrap(result: Result): Value {
  if (result.ok) return result.value;
  throw result.error;
}

function errorData(error: Error): JSONValue | null {
  return error instanceof ConvexError
    ? convexToJson(error.data as Value)
    : null;
}
