import { expect, test } from "vitest";
import {
  clientIp,
  cookielessVisitorId,
  DEFAULT_IP_HEADERS,
  parseIp,
  randomSalt,
} from "./cookieless.js";

test("parseIp accepts IPv4 and IPv6 (with port or brackets) and refuses everything else", () => {
  expect(parseIp(" 203.0.113.7 ")).toBe("203.0.113.7");
  expect(parseIp("203.0.113.7:8080")).toBe("203.0.113.7");
  expect(parseIp("2001:DB8::1")).toBe("2001:db8::1");
  expect(parseIp("[2001:db8::1]:443")).toBe("2001:db8::1");
  expect(parseIp("::ffff:192.0.2.1")).toBe("::ffff:192.0.2.1");
  for (const bad of [
    "",
    "unknown",
    "256.1.1.1",
    "1.2.3",
    "0.0.0.0",
    "::",
    "example.com",
    "for=1.2.3.4",
    "1:2:3:4:5:6:7:8:9",
  ]) {
    expect(parseIp(bad), bad).toBeNull();
  }
});

test("clientIp takes the first header with a usable address, its leftmost usable entry", () => {
  const headers = new Headers({
    "x-forwarded-for": "unknown, 198.51.100.1, 10.0.0.1",
    "cf-connecting-ip": "192.0.2.9",
  });
  expect(clientIp(headers, DEFAULT_IP_HEADERS)).toBe("198.51.100.1");
  expect(clientIp(headers, ["cf-connecting-ip"])).toBe("192.0.2.9");
  expect(
    clientIp(
      new Headers({ "x-forwarded-for": "garbage", "x-real-ip": "192.0.2.3" }),
      DEFAULT_IP_HEADERS,
    ),
  ).toBe("192.0.2.3");
  expect(clientIp(new Headers(), DEFAULT_IP_HEADERS)).toBeNull();
});

test("visitor ids depend on salt, site, IP and user agent, and on nothing else", async () => {
  const salt = randomSalt();
  expect(salt).toMatch(/^[0-9a-f]{64}$/);
  expect(randomSalt()).not.toBe(salt);
  const id = await cookielessVisitorId(salt, "site1", "203.0.113.7", "UA");
  expect(id).toMatch(/^[0-9a-f]{32}$/);
  expect(await cookielessVisitorId(salt, "site1", "203.0.113.7", "UA")).toBe(
    id,
  );
  const others = await Promise.all([
    cookielessVisitorId(randomSalt(), "site1", "203.0.113.7", "UA"),
    cookielessVisitorId(salt, "site2", "203.0.113.7", "UA"),
    cookielessVisitorId(salt, "site1", "203.0.113.8", "UA"),
    cookielessVisitorId(salt, "site1", "203.0.113.7", "UA2"),
  ]);
  expect(new Set([id, ...others]).size).toBe(5);
  // The id is exactly the first 128 bits of HMAC-SHA-256(salt, site + "\n" + ip + "\n" + userAgent).
  const zero = "0".repeat(64);
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(32),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      key,
      new TextEncoder().encode("s\n1.2.3.4\nua"),
    ),
  );
  const expected = [...mac.slice(0, 16)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  expect(await cookielessVisitorId(zero, "s", "1.2.3.4", "ua")).toBe(expected);
});
