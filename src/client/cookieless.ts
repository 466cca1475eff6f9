/**
 * Cookieless visitor ids (README, "Privacy and consent"): the ingest route
 * reads the client IP from a forwarding header, and uses it only as input to
 * an HMAC keyed with the site's salt of the day. The IP is never stored,
 * logged, returned or passed to a Convex function.
 */

/**
 * Headers read for the client IP, first usable one wins. `x-forwarded-for`
 * first, because every proxy in the chain appends to it, so its leftmost
 * entry is the client even behind your own proxy in front of Convex;
 * `cf-connecting-ip` names whoever connected to Cloudflare (your proxy, if
 * you have one).
 */
export const DEFAULT_IP_HEADERS = [
  "x-forwarded-for",
  "cf-connecting-ip",
  "x-real-ip",
];

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 =
  /^[0-9a-f:]+(:(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3})?$/;

/** One header entry as an IP address (port and brackets removed), or null when it is not one. */
export function parseIp(entry: string): string | null {
  let text = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text))
    text = text.slice(0, text.lastIndexOf(":"));
  if (IPV4.test(text)) return text === "0.0.0.0" ? null : text;
  const colons = text.split(":").length - 1;
  if (
    colons >= 2 &&
    colons <= 7 &&
    text.length <= 45 &&
    IPV6.test(text) &&
    text.replace(/[:0]/g, "") !== ""
  ) {
    return text;
  }
  return null;
}

/**
 * The client IP: the first entry that is an IP address in the first of
 * `headerNames` that has one (comma-separated lists are read left to
 * right). Null when none has a usable address.
 */
export function clientIp(
  headers: Headers,
  headerNames: readonly string[],
): string | null {
  for (const name of headerNames) {
    for (const entry of (headers.get(name) ?? "").split(",")) {
      const ip = parseIp(entry);
      if (ip) return ip;
    }
  }
  return null;
}

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** 32 random bytes from WebCrypto, hex: a salt candidate for `salts.ensureDaySalt`. */
export function randomSalt(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The visitor id of (site, IP, user agent) under one day's salt: the first
 * 128 bits of HMAC-SHA-256(salt, site + "\n" + ip + "\n" + userAgent), as 32
 * hex characters like the tracker's own ids. Header values cannot contain a
 * newline, so the three fields cannot run into each other.
 */
export async function cookielessVisitorId(
  saltHex: string,
  siteId: string,
  ip: string,
  userAgent: string,
): Promise<string> {
  const salt = new Uint8Array(
    saltHex.match(/../g)!.map((pair) => parseInt(pair, 16)),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    salt,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(`${siteId}\n${ip}\n${userAgent}`),
  );
  return toHex(mac).slice(0, 32);
}
