/** The dashboard's stylesheet, served as `/__admin/ui/app.css`: system fonts only, one column under 700 px. */
export const APP_CSS = `:root {
  --fg: #1b1f24;
  --muted: #57606a;
  --line: #d0d7de;
  --soft: #eaeef2;
  --bg: #f6f8fa;
  --good: #1f883d;
  --warn: #9a6700;
  --bad: #cf222e;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 0.25rem 1rem; padding: 0.75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.2rem; margin: 0; display: inline; }
h2 { font-size: 1rem; margin: 0 0 0.5rem; }
h3 { font-size: 0.9rem; margin: 0.75rem 0 0.25rem; }
.note { color: var(--muted); font-size: 0.85rem; margin: 0.25rem 0; }
header .note { margin-left: 0.5rem; }
main { padding: 1rem 1.25rem; max-width: 96rem; margin: 0 auto; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem; min-width: 0; }
.wide { grid-column: 1 / -1; }
.row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-end; margin: 0.5rem 0; }
button { font: inherit; font-size: 0.9rem; padding: 0.35rem 0.75rem; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: inherit; cursor: pointer; }
button:hover { background: var(--soft); }
button:disabled { opacity: 0.6; cursor: progress; }
button.primary { background: var(--good); border-color: #1a7f37; color: #fff; }
button.danger { color: var(--bad); }
input, select, textarea { font: inherit; font-size: 0.9rem; padding: 0.3rem 0.5rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: inherit; max-width: 100%; }
textarea { width: 100%; font-family: var(--mono); font-size: 0.8rem; }
label { display: inline-flex; flex-direction: column; gap: 0.15rem; font-size: 0.8rem; color: var(--muted); }
label.check { flex-direction: row; align-items: center; gap: 0.35rem; }
label.block { display: flex; margin: 0.5rem 0; }
details { margin-top: 0.75rem; border-top: 1px solid var(--soft); padding-top: 0.5rem; }
summary { cursor: pointer; font-weight: 600; font-size: 0.9rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--soft); vertical-align: top; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
code { font-family: var(--mono); font-size: 0.8rem; word-break: break-all; }
tr.none td { color: var(--muted); }
tr.failed td[data-label="status"], .error { color: var(--bad); font-weight: 600; }
.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0 0.5rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; word-break: break-all; }
.buttons { display: flex; flex-wrap: wrap; gap: 0.25rem; }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 999px; background: var(--soft); font-size: 0.75rem; color: var(--muted); }
.clock { font-size: 1.35rem; font-variant-numeric: tabular-nums; margin: 0.25rem 0; }
.live { font-size: 0.85rem; color: var(--muted); }
.live[data-state="ok"]::before { content: "● "; color: var(--good); }
.live[data-state="warn"]::before { content: "● "; color: var(--warn); }
.live[data-state="off"]::before { content: "● "; color: var(--bad); }
.message { margin: 0 0 0.75rem; }
.message:empty { display: none; }
.auth { max-width: 28rem; margin: 2rem auto; }
.auth input { width: 100%; }
footer { padding: 1rem 1.25rem 2rem; color: var(--muted); font-size: 0.8rem; text-align: center; }
a { color: #0969da; }
@media (max-width: 700px) {
  header.top, main { padding: 0.75rem; }
  .grid { grid-template-columns: minmax(0, 1fr); }
  table, tbody, tr, td { display: block; width: 100%; }
  thead { display: none; }
  tr { border-bottom: 1px solid var(--line); padding: 0.4rem 0; }
  td { border: 0; padding: 0.1rem 0; display: grid; grid-template-columns: 5.5rem minmax(0, 1fr); gap: 0.5rem; }
  td::before { content: attr(data-label); color: var(--muted); font-weight: 600; }
  td:has(> div:empty), #scenarios td[data-label="rules"], #scenarios td[data-label="source"] { display: none; }
  tr.none td { display: block; }
  tr.none td::before { content: none; }
}
`;
