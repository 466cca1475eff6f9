import type { Properties } from "./types.js";

/** Adds a listener and returns the function that removes it again. */
export function listen<E extends Event>(
  target: EventTarget,
  type: string,
  handler: (event: E) => void,
  capture?: boolean,
): () => void {
  // The caller names the event type, so it knows which Event subclass arrives.
  const listener = handler as EventListener;
  target.addEventListener(type, listener, capture);
  return () => target.removeEventListener(type, listener, capture);
}

/**
 * Calls `onNavigate` after every client-side navigation: `pushState`,
 * `replaceState`, back/forward (`popstate`) and, when `hash` is on,
 * `hashchange`. The caller decides whether the path really changed, since
 * routers often call `replaceState` for the page they are already on.
 * Returns a function that undoes all of it.
 */
export function watchHistory(
  onNavigate: () => void,
  hash?: boolean,
): () => void {
  let live = true;
  const undo = (["pushState", "replaceState"] as const).map((method) => {
    const original = history[method];
    const wrapper = function (
      this: History,
      ...args: Parameters<History["pushState"]>
    ) {
      original.apply(this, args);
      if (live) onNavigate();
    };
    history[method] = wrapper;
    // Restore only if nobody wrapped history after us; otherwise we would
    // silently remove their patch. Our wrapper then just stays inert.
    return () => {
      if (history[method] == wrapper) history[method] = original;
    };
  });
  undo.push(listen(window, "popstate", onNavigate));
  if (hash) undo.push(listen(window, "hashchange", onNavigate));
  return () => {
    live = false;
    undo.forEach((fn) => fn());
  };
}

/** File extensions counted as downloads when no list is given, as a regex alternation. */
export const DOWNLOAD_EXTENSIONS =
  "pdf|zip|csv|txt|rtf|docx?|xlsx?|pptx?|odt|epub|exe|dmg|pkg|msi|apk|iso|gz|7z|rar|mp3|wav|mp4|mov|avi";

/**
 * Tracks clicks on links (left and middle button, in the capture phase so
 * an app's `stopPropagation` does not hide them): links to another host as
 * `"Outbound Link"` and links to files (by extension, or with a `download`
 * attribute) as `"File Download"`, both with the link's `url`.
 */
export function watchLinks(
  track: (name: string, properties: Properties) => void,
  outbound?: boolean,
  downloads?: RegExp,
): () => void {
  const onClick = (event: MouseEvent) => {
    const link = (event.target as Element | null)?.closest?.(
      "a[href]",
    ) as HTMLAnchorElement | null;
    if (!link || (event.type == "auxclick" && event.button != 1)) return;
    const url = link.href;
    if (
      downloads &&
      (link.hasAttribute("download") || downloads.test(link.pathname))
    ) {
      track("File Download", { url });
    } else if (outbound && /^https?:/.test(url) && link.host != location.host) {
      track("Outbound Link", { url });
    }
  };
  const off = [
    listen(document, "click", onClick, true),
    listen(document, "auxclick", onClick, true),
  ];
  return () => off.forEach((fn) => fn());
}
