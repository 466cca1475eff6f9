import { load, OPT_OUT_KEY } from "./identity.js";

/** The switches that decide whether this browser may be tracked at all. */
export interface PrivacyOptions {
  /** Honour `navigator.doNotTrack` and Global Privacy Control. Default `true`. */
  respectDoNotTrack?: boolean;
  /** Track pages served from localhost, 127.x, [::1] or file:. Default `false`. */
  trackLocalhost?: boolean;
  /** Track browsers driven by automation (`navigator.webdriver`). Default `false`. */
  trackAutomation?: boolean;
}

/**
 * True when nothing may be recorded: the visitor opted out (localStorage
 * flag), sends Do Not Track or Global Privacy Control, the page is a local
 * development page, or the browser is automated. Checked on every event, so
 * an opt-out takes effect immediately.
 */
export function isBlocked(options: PrivacyOptions): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return (
    load("localStorage", OPT_OUT_KEY) == "1" ||
    (options.respectDoNotTrack != false &&
      (nav.doNotTrack == "1" || nav.globalPrivacyControl == true)) ||
    (!options.trackLocalhost &&
      (/^(.+\.)?localhost$|^127\.|^\[::1\]$/.test(location.hostname) ||
        location.protocol == "file:")) ||
    (!options.trackAutomation && nav.webdriver == true)
  );
}
