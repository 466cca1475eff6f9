// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { readScriptOptions } from "./embed.js";
import { fakeNetwork, resetPage, setProperty } from "./testing/harness.js";

function scriptTag(attributes: Record<string, string>): HTMLScriptElement {
  const script = document.createElement("script");
  for (const [name, value] of Object.entries(attributes))
    script.setAttribute(name, value);
  return script;
}

const required = {
  "data-endpoint": "https://app.example/analytics/ingest",
  "data-write-key": "wk_1",
};

describe("readScriptOptions", () => {
  test("reads endpoint and write key, with defaults for everything else", () => {
    expect(readScriptOptions(scriptTag(required))).toEqual({
      endpoint: "https://app.example/analytics/ingest",
      writeKey: "wk_1",
      autoPageview: true,
      spa: false,
      hash: false,
      includeSearch: false,
      outboundLinks: false,
      fileDownloads: false,
      respectDoNotTrack: true,
      trackLocalhost: false,
      trackAutomation: false,
      batchSize: undefined,
      flushInterval: undefined,
      storage: undefined,
    });
  });

  test('data-storage="none" asks for the cookieless tracker', () => {
    expect(
      readScriptOptions(scriptTag({ ...required, "data-storage": "none" }))
        ?.storage,
    ).toBe("none");
  });

  test("switches are on when present and off when set to false", () => {
    const options = readScriptOptions(
      scriptTag({
        ...required,
        "data-spa": "",
        "data-hash": "true",
        "data-include-search": "",
        "data-outbound": "",
        "data-downloads": "",
        "data-track-localhost": "",
        "data-track-automation": "false",
        "data-respect-dnt": "false",
        "data-auto-pageview": "false",
        "data-batch-size": "20",
        "data-flush-interval": "oops",
      }),
    );
    expect(options).toMatchObject({
      spa: true,
      hash: true,
      includeSearch: true,
      outboundLinks: true,
      fileDownloads: true,
      trackLocalhost: true,
      trackAutomation: false,
      respectDoNotTrack: false,
      autoPageview: false,
      batchSize: 20,
      flushInterval: undefined,
    });
  });

  test("returns null without endpoint or write key", () => {
    expect(
      readScriptOptions(
        scriptTag({ "data-endpoint": required["data-endpoint"] }),
      ),
    ).toBeNull();
    expect(readScriptOptions(scriptTag({ "data-write-key": "wk" }))).toBeNull();
  });
});

describe("loading the script", () => {
  beforeEach(() => {
    resetPage();
    vi.resetModules();
    delete window.ConvexAnalytics;
  });
  afterEach(async () => {
    await window.ConvexAnalytics?.stop();
    delete window.ConvexAnalytics;
    setProperty(document, "currentScript", null);
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  test("starts a tracker from document.currentScript and exposes it once", async () => {
    const net = fakeNetwork();
    setProperty(
      document,
      "currentScript",
      scriptTag({ ...required, "data-spa": "" }),
    );
    await import("./embed.js");
    const first = window.ConvexAnalytics!;
    expect(first).toBeDefined();
    vi.resetModules();
    await import("./embed.js"); // the same script included twice
    expect(window.ConvexAnalytics).toBe(first);
    await first.flush();
    expect(net.events().map((e) => [e.type, e.path])).toEqual([
      ["pageview", "/"],
    ]);
  });

  test("warns instead of starting when attributes are missing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    setProperty(
      document,
      "currentScript",
      scriptTag({ "data-endpoint": "https://app.example/analytics/ingest" }),
    );
    await import("./embed.js");
    expect(window.ConvexAnalytics).toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
  });
});
