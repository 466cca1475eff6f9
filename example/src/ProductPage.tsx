import { useState } from "react";
import { analytics } from "./main";

const PLANS = ["free", "pro", "team"] as const;

/** A tiny product page: navigation is client-side, so the tracker's SPA mode counts each view. */
export function ProductPage() {
  const [page, setPage] = useState(location.pathname);
  const [plan, setPlan] = useState<(typeof PLANS)[number]>("free");
  const go = (path: string) => {
    history.pushState({}, "", path);
    setPage(path);
  };
  return (
    <main
      style={{
        fontFamily: "system-ui",
        maxWidth: 640,
        margin: "2rem auto",
        padding: "0 1rem",
      }}
    >
      <nav style={{ display: "flex", gap: "1rem" }}>
        <button onClick={() => go("/")}>Home</button>
        <button onClick={() => go("/pricing")}>Pricing</button>
        <button onClick={() => go("/docs")}>Docs</button>
        <a href="https://github.com/get-convex">GitHub (outbound)</a>
        <a href="/admin">Admin</a>
      </nav>
      <h1>
        {page === "/pricing"
          ? "Pricing"
          : page === "/docs"
            ? "Docs"
            : "Example shop"}
      </h1>
      {page === "/pricing" && (
        <p>
          {PLANS.map((choice) => (
            <button
              key={choice}
              onClick={() => {
                setPlan(choice);
                analytics.track("choose_plan", { plan: choice });
              }}
            >
              Choose {choice}
            </button>
          ))}{" "}
          {/* The playground's "Signup" goal counts this event (README, "Goals"). */}
          <button onClick={() => analytics.track("signup", { plan })}>
            Sign up ({plan})
          </button>
        </p>
      )}
      <p>
        <button
          onClick={() => analytics.identify("demo-user", { plan: "pro" })}
        >
          Sign in as demo-user
        </button>
      </p>
    </main>
  );
}
