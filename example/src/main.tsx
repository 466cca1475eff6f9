import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { createAnalytics } from "convex-analytics/browser";
import { PlaygroundClient } from "../playground/client";
import { AdminPage } from "./AdminPage";
import { ProductPage } from "./ProductPage";

// `npm run playground` serves this page, the app's functions and its HTTP
// routes from one local server (example/playground); everywhere else the page
// talks to a deployment.
const playground = import.meta.env.VITE_PLAYGROUND === "true";
const convexUrl = import.meta.env.VITE_CONVEX_URL as string;
const convex = playground
  ? (new PlaygroundClient() as unknown as ConvexReactClient)
  : new ConvexReactClient(convexUrl);

// The ingest route lives on the deployment's HTTP actions host (.convex.site).
export const analytics = createAnalytics({
  endpoint: playground
    ? `${location.origin}/analytics/ingest`
    : `${convexUrl.replace(/\.cloud$/, ".site")}/analytics/ingest`,
  writeKey: import.meta.env.VITE_ANALYTICS_WRITE_KEY as string,
  spa: true,
  outboundLinks: true,
  trackLocalhost: true, // this is a local example; leave it off in production
});

function App() {
  return location.pathname.startsWith("/admin") ? (
    <AdminPage />
  ) : (
    <ProductPage />
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexProvider client={convex}>
      <App />
    </ConvexProvider>
  </StrictMode>,
);
