import Bowser from "bowser";
import { isbot } from "isbot";
import ct from "countries-and-timezones";

/** Device, browser and OS of a User-Agent, in the words the dashboard shows. */
export function describeUserAgent(userAgent: string | null): {
  device?: string;
  browser?: string;
  os?: string;
} {
  if (!userAgent) return {};
  const parsed = Bowser.parse(userAgent);
  const platform = parsed.platform.type;
  return {
    device:
      platform === "mobile" || platform === "tablet"
        ? platform
        : platform === "tv"
          ? "tv"
          : "desktop",
    browser: parsed.browser.name || undefined,
    os: parsed.os.name || undefined,
  };
}

/** Known crawlers, monitors and headless tools, by User-Agent. */
export function isBotUserAgent(userAgent: string | null): boolean {
  return isbot(userAgent ?? "");
}

/** Headers that CDNs and proxies set with the client's ISO country code. */
export const DEFAULT_GEO_HEADERS = [
  "cf-ipcountry",
  "x-vercel-ip-country",
  "cloudfront-viewer-country",
  "x-country-code",
];

/**
 * The visitor's country: a proxy's geo header when one is set, otherwise the
 * country of the IANA time zone the browser reported. The IP address is never
 * looked at, stored or passed on.
 */
export function countryOf(
  headers: Headers,
  geoHeaders: string[],
  timezone: string | undefined,
): string | undefined {
  for (const name of geoHeaders) {
    const value = headers.get(name)?.trim().toUpperCase();
    if (value && /^[A-Z]{2}$/.test(value) && value !== "XX" && value !== "T1")
      return value;
  }
  if (!timezone) return undefined;
  return ct.getCountryForTimezone(timezone)?.id;
}
