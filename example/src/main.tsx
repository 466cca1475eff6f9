import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { createAnalytics } from "convex-analytics/browser";
import { AdminPage } from "./AdminPage";
import { ProductPage } from "./ProductPage";

const convexUrl = import.meta.env.VITE_CONVEX_URL as string;
const convex = new ConvexReactClient(convexUrl);

// The ingest route lives on the deployment's HTTP actions host (.convex.site).
export const analytics = createAnalytics({
  endpoint: `${convexUrl.replace(/\.cloud$/, ".site")}/analytics/ingest`,
  writeKey: import.meta.env.VITE_ANALYTICS_WRITE_KEY as string,
  spa: true,
  outboundLinks: true,
  trackLocalhost: true, // this is a local example; leave it off in production
});

function App() {
  return location.pathname.startsWith("/admin") ? <AdminPage /> : <ProductPage />;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <ConvexProvider client={convex}>
      <App />
    </ConvexProvider>
  </StrictMode>,
);
