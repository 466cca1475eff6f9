/** Plain-text/markdown output of the benchmark: tables, notes and PASS/FAIL lines. */

export type Check = { label: string; pass: boolean; detail: string };

export class Report {
  readonly lines: string[] = [];
  readonly checks: Check[] = [];

  heading(text: string): void {
    this.lines.push("", `## ${text}`, "");
  }

  note(text: string): void {
    this.lines.push(text);
  }

  table(header: string[], rows: (string | number)[][]): void {
    const cells = [
      header,
      ...rows.map((r) => r.map((c) => (typeof c === "number" ? num(c) : c))),
    ];
    const widths = header.map((_, i) =>
      Math.max(...cells.map((r) => String(r[i] ?? "").length)),
    );
    const line = (r: (string | number)[]) =>
      `| ${r.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ")} |`;
    this.lines.push(
      line(cells[0]),
      `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
      ...cells.slice(1).map(line),
    );
    this.lines.push("");
  }

  check(label: string, pass: boolean, detail: string): void {
    this.checks.push({ label, pass, detail });
  }

  text(): string {
    const verdicts = this.checks.map(
      (c) => `${c.pass ? "PASS" : "FAIL"}  ${c.label} — ${c.detail}`,
    );
    return [...this.lines, "", "## Targets", "", ...verdicts, ""].join("\n");
  }
}

/** Compact number formatting: integers with thousands separators, ratios with 2 decimals. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toFixed(2);
}

export function kib(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}
