"""Jinja2 templates of the HTML reports, kept in Python so they ship with the package as code.

Autoescaping is on (see ``html.py``): every ``{{ value }}`` is escaped, crawled text included.
No template emits a script, an external asset or an inline event handler, and the page's
Content-Security-Policy forbids them anyway, so even a mistake here cannot run crawled code.
"""

from __future__ import annotations

CSS = """
:root { --ink:#1d2329; --muted:#5d6670; --line:#d9dee3; --bg:#f6f7f9; --card:#fff;
  --del-bg:#fde4e4; --del-ink:#9b1c1c; --ins-bg:#dcf5e3; --ins-ink:#11632f; --accent:#1f5fa8; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
.wrap { max-width:1180px; margin:0 auto; padding:24px 20px 48px; }
h1 { font-size:1.6rem; margin:0 0 4px; }
h2 { font-size:1.2rem; margin:0; }
h3 { font-size:.8rem; text-transform:uppercase; letter-spacing:.06em; color:var(--muted);
  margin:18px 0 6px; }
a { color:var(--accent); }
.meta { color:var(--muted); margin:0; }
nav.reports { margin:8px 0 0; font-size:.9rem; }
nav.reports a { margin-right:14px; }
.empty { background:var(--card); border:1px dashed var(--line); border-radius:8px;
  padding:28px; text-align:center; font-size:1.1rem; color:var(--muted); }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:18px 20px; margin:18px 0; box-shadow:0 1px 2px rgba(0,0,0,.04); }
.card > header { display:flex; flex-wrap:wrap; align-items:baseline; gap:8px 16px;
  border-bottom:1px solid var(--line); padding-bottom:10px; }
.stances { margin:0; display:flex; align-items:center; gap:8px; flex-wrap:wrap; }
.arrow { color:var(--muted); font-weight:700; }
.summary { font-size:1.05rem; font-weight:500; margin:12px 0 4px; }
.badge { display:inline-block; border-radius:999px; padding:1px 10px; font-size:.82rem;
  font-weight:600; border:1px solid transparent; white-space:nowrap; }
.s-good { background:#dcf5e3; color:#11632f; border-color:#a9e0bb; }
.s-ok { background:#e1effc; color:#17477e; border-color:#b5d3f3; }
.s-warn { background:#fff1d6; color:#7a4b00; border-color:#f2d08f; }
.s-bad { background:#fde4e4; color:#9b1c1c; border-color:#f3b4b4; }
.s-none { background:#eceff2; color:#4a525a; border-color:#d3d8dd; }
.kind { font-size:.78rem; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
dl.facts { display:grid; grid-template-columns:max-content 1fr max-content 1fr; gap:2px 14px;
  margin:10px 0 0; font-size:.92rem; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
table { border-collapse:collapse; width:100%; font-size:.92rem; }
th, td { text-align:left; vertical-align:top; padding:6px 8px;
  border-bottom:1px solid var(--line); }
thead th { background:#eef1f4; font-size:.78rem; text-transform:uppercase; letter-spacing:.04em;
  color:var(--muted); }
table.redline td { width:50%; }
table.redline tr.where td { background:#fafbfc; color:var(--muted); font-size:.82rem;
  border-bottom:none; padding-bottom:2px; }
del { background:var(--del-bg); color:var(--del-ink); text-decoration:line-through;
  text-decoration-thickness:1.5px; border-radius:3px; padding:0 2px; }
ins { background:var(--ins-bg); color:var(--ins-ink); text-decoration:none; border-radius:3px;
  padding:0 2px; font-weight:600; }
table.criteria td:first-child { color:var(--muted); width:30%; }
table.criteria tr.changed td { background:#fffbea; }
table.criteria tr.changed td:first-child { color:var(--ink); font-weight:600; }
ul.evidence { list-style:none; padding:0; margin:0; font-size:.92rem; }
ul.evidence li { margin:3px 0; }
.hash { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.78rem;
  color:var(--muted); word-break:break-all; }
details.operator { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:10px 16px; margin-top:28px; }
details.operator summary { cursor:pointer; font-weight:600; }
.note { color:#7a4b00; font-size:.82rem; margin-top:3px; }
.muted { color:var(--muted); }
section.group { margin-top:28px; }
section.group > h2 { margin-bottom:8px; }
table.matrix { background:var(--card); border:1px solid var(--line); }
table.matrix td { border-bottom-color:#edf0f2; }
table.matrix tr.lead td { border-top:1px solid #c3cad1; }
table.matrix th.crit { width:26%; }
table.matrix th.who { width:20%; }
table.matrix th.narrow { width:5%; }
table.matrix .doc { color:var(--muted); font-size:.84rem; margin-top:2px; }
table.matrix td.date { white-space:nowrap; font-size:.88rem; }
table.matrix .hash { word-break:normal; }
dl.crit { display:grid; grid-template-columns:max-content 1fr; gap:0 10px; margin:0;
  font-size:.86rem; }
dl.crit dt { color:var(--muted); }
dl.crit dd { margin:0; }
tr.status-no_good_version td, tr.status-no_drug_content td { color:var(--muted); }
.spread { background:var(--card); border:1px solid var(--line); border-left:4px solid var(--accent);
  border-radius:8px; padding:10px 16px; margin:0 0 12px; }
.spread p { margin:4px 0; }
footer { color:var(--muted); font-size:.8rem; margin-top:36px; }
@media (max-width: 760px) { dl.facts { grid-template-columns:max-content 1fr; } }
@media print {
  body { background:#fff; font-size:10.5pt; }
  .wrap { max-width:none; padding:0; }
  .card, table.matrix, .spread { box-shadow:none; break-inside:avoid; }
  nav.reports { display:none; }
  a { color:inherit; }
  del, ins, .badge, thead th { -webkit-print-color-adjust:exact; print-color-adjust:exact; }
}
"""

HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
  content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="generator" content="policywatch">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
"""

MACROS = """
{% macro badge(stance) -%}
<span class="badge s-{{ stance | stance_class }}">{{ stance | stance_label }}</span>
{%- endmacro %}
{% macro link(href, text) -%}
{% if href | safe_url %}<a href="{{ href | safe_url }}">{{ text }}</a>{% else %}{{ text }}{%
 endif %}
{%- endmacro %}
{% macro version(label, ref) -%}
<li><strong>{{ label }}:</strong> {% if ref %}{{ link(ref | archive_href,
  "archived snapshot #" ~ ref.snapshot_id) }} · fetched {{ ref.fetched_at | when }}
  <div class="hash">sha256 {{ ref.sha256 }}</div>{% else %}<span class="muted">none
  (first version)</span>{% endif %}</li>
{%- endmacro %}
{% macro nav(items) -%}
{% if items %}<nav class="reports">{% for label, href in items %}{{ link(href, label) }}
{% endfor %}</nav>{% endif %}
{%- endmacro %}
"""

CHANGES = (
    MACROS
    + HEAD
    + """<body>
<div class="wrap">
<header>
<h1>Ketamine and esketamine coverage changes</h1>
<p class="meta">{{ period }} · generated {{ generated }} ·
{{ changes | length }} coverage change{{ "" if changes | length == 1 else "s" }} ·
{{ operator | length }} operator event{{ "" if operator | length == 1 else "s" }}
{% if awaiting %} · <strong>{{ awaiting }} awaiting review</strong>{% endif %}</p>
{{ nav(nav_items) }}
</header>
<main>
{% if not changes %}
<p class="empty">No coverage changes in this period.</p>
{% endif %}
{% for c in changes %}
<article class="card change" id="event-{{ c.event.id }}">
<header>
<h2>{{ c.event.source.payer }} · {{ c.event.drug | drug_label }}</h2>
<p class="stances">{{ badge(c.event.stance_before) }} <span class="arrow">→</span>
{{ badge(c.event.stance_after) }}
<span class="kind">{{ c.event.kind | replace("_", " ") }}</span></p>
</header>
<p class="summary">{{ c.summary }}</p>
<dl class="facts">
<dt>Plan type</dt><dd>{{ c.event.source.plan_type | plan_type_label }}</dd>
<dt>State</dt><dd>{{ c.event.source.state }}</dd>
<dt>Document</dt><dd>{{ link(c.event.source.url, c.title) }}{% if c.policy_number %}
 ({{ c.policy_number }}){% endif %}</dd>
<dt>Effective</dt><dd>{{ c.event.effective_date or "not stated" }}</dd>
<dt>Detected</dt><dd>{{ c.event.detected_at | when }}</dd>
<dt>Review</dt><dd>{{ c.event.review_status }}</dd>
{% if c.event.review_note %}<dt>Analyst's note</dt><dd class="note">{{ c.event.review_note }}</dd>
{% endif %}
</dl>
{% if c.pairs %}
<h3>Changed clauses</h3>
<table class="redline">
<thead><tr><th>Before</th><th>After</th></tr></thead>
<tbody>
{% for p in c.pairs %}
<tr class="where"><td colspan="2">{{ p.section or "(no section)" }}{% if p.indication %}
 · {{ p.indication }}{% endif %}{% if p.stance_before != p.stance_after %}
 · stance {{ badge(p.stance_before) }} → {{ badge(p.stance_after) }}{% endif %}</td></tr>
<tr>
<td class="before">{% for s in p.before %}{% if s.kind == "delete" %}<del>{{ s.text }}</del>{%
 else %}{{ s.text }}{% endif %}{{ " " if not loop.last }}{% endfor %}</td>
<td class="after">{% for s in p.after %}{% if s.kind == "insert" %}<ins>{{ s.text }}</ins>{%
 else %}{{ s.text }}{% endif %}{{ " " if not loop.last }}{% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% endif %}
{% if c.criteria %}
<h3>Criteria</h3>
<table class="criteria">
<thead><tr><th>Criterion</th><th>Before</th><th>After</th></tr></thead>
<tbody>
{% for r in c.criteria %}
<tr{% if r.changed %} class="changed"{% endif %}><td>{{ r.label }}</td><td>{{ r.before }}</td>
<td>{{ r.after }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}
<h3>Evidence</h3>
<ul class="evidence">
{{ version("Before", c.event.before) }}
{{ version("After", c.event.after) }}
<li><strong>Live:</strong> {{ link(c.event.source.url, c.event.source.url) }}</li>
</ul>
</article>
{% endfor %}
<details class="operator">
<summary>Other events ({{ operator | length }}): unavailable sources, moves, coding
changes, dismissed and flip-back changes</summary>
{% if operator %}
<table>
<thead><tr><th>Kind</th><th>Source</th><th>What happened</th><th>Detected</th>
<th>Versions</th></tr></thead>
<tbody>
{% for e in operator %}
<tr id="event-{{ e.id }}">
<td>{{ e.kind | replace("_", " ") }}{% if e.significant %}<div class="muted">{{
 e.review_status }}</div>{% endif %}</td>
<td>{{ e.source.payer }}<div class="muted">{{ e.source.id }} · {{ e.source.state }}</div></td>
<td>{{ e.summary }}</td>
<td>{{ e.detected_at | when }}</td>
<td>{% if e.before %}{{ link(e.before | archive_href, "#" ~ e.before.snapshot_id) }} → {% endif
%}{{ link(e.after | archive_href, "#" ~ e.after.snapshot_id) }} · {{ link(e.source.url, "live")
}}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="muted">None in this period.</p>
{% endif %}
</details>
</main>
<footer>policywatch · snapshots are exported byte for byte; check a file against the sha256
shown beside its link.</footer>
</div>
</body>
</html>
"""
)

MATRIX = (
    MACROS
    + HEAD
    + """<body>
<div class="wrap">
<header>
<h1>Ketamine and esketamine coverage matrix</h1>
<p class="meta">Current governing stance of each watched document, from its latest good
version · generated {{ generated }} · {{ sources }} source{{ "" if sources == 1 else "s" }}</p>
{{ nav(nav_items) }}
</header>
<main>
{% if not groups %}
<p class="empty">No sources with archived versions yet.</p>
{% endif %}
{% for g in groups %}
<section class="group">
<h2>{{ g.title }}</h2>
{% if g.by_state %}
<div class="spread">
<p><strong>Medicaid coverage varies by state.</strong></p>
{% for sp in spread %}
<p>{{ sp.drug | drug_label }} ({{ sp.states }} state{{ "" if sp.states == 1 else "s" }}):
{% for stance, states in sp.by_stance %}{{ badge(stance) }} {{ states | join(", ") }}{{
"; " if not loop.last }}{% endfor %}</p>
{% endfor %}
{% if gaps %}<p class="muted">No Medicaid source registered yet for {{ gaps | length }}
of 51 (states and DC): {{ gaps | join(", ") }}.</p>{% endif %}
</div>
{% endif %}
<table class="matrix">
<thead><tr>
<th class="{{ "narrow" if g.by_state else "who" }}">{{ "State" if g.by_state else
"Payer and document" }}</th>
<th class="{{ "who" if g.by_state else "narrow" }}">{{ "Program and document" if g.by_state
else "State" }}</th>
<th>Drug</th><th>Stance</th><th class="crit">Key criteria</th><th>Effective</th>
<th>Last checked</th><th>Evidence</th>
</tr></thead>
<tbody>
{% for line in g.lines %}
{% set r = line.row %}
{# Inline, not macros: this runs once per row, and a macro call costs more than its markup. #}
{% if line.lead_doc %}{% set live = r.source.url | safe_url %}{% set doc %}<div class="doc">{{
 r.source.plan_type | plan_type_label }} ·
{% if live %}<a href="{{ live }}">{{ r.source.title }}</a>{% else %}{{ r.source.title }}{%
 endif %}</div>{% endset %}{% endif %}
<tr class="status-{{ r.status }}{% if line.lead %} lead{% endif %}">
{% if g.by_state %}
<td>{% if line.lead %}<strong>{{ r.source.state }}</strong>{% endif %}</td>
<td>{% if line.lead_doc %}{{ r.source.payer }}{{ doc }}{% endif %}</td>
{% else %}
<td>{% if line.lead %}<strong>{{ r.source.payer }}</strong>{% endif %}{% if line.lead_doc %}{{ doc
}}{% endif %}</td>
<td>{% if line.lead_doc %}{{ r.source.state }}{% endif %}</td>
{% endif %}
<td>{{ r.drug | drug_label if r.drug else "—" }}</td>
<td>{% if r.drug %}<span class="badge s-{{ r.stance | stance_class }}">{{ r.stance
 | stance_label }}</span>{% else %}<span class="badge s-none">{{
 r.status | replace("_", " ") }}</span>{% endif %}{% if r.note %}<div class="note">{{ r.note
 }}</div>{% endif %}</td>
<td>{% set crit = r.criteria | matrix_criteria %}{% if crit %}<dl class="crit">{% for label, value
 in crit %}<dt>{{ label }}</dt><dd>{{ value }}</dd>{% endfor %}</dl>{% else %}<span
 class="muted">—</span>{% endif %}</td>
<td class="date">{{ r.effective_date or "—" }}</td>
<td class="date" title="{{ r.source.last_checked_at | when }}">{{ r.source.last_checked_at | day
 or "never" }}</td>
<td class="date">{% if r.evidence %}{% set proof = r.evidence | archive_href | safe_url %}{%
 if proof %}<a href="{{ proof }}">snapshot #{{ r.evidence.snapshot_id }}</a>{% else
 %}snapshot #{{ r.evidence.snapshot_id }}{% endif %}<div class="hash" title="sha256 {{
 r.evidence.sha256 }}">{{
 r.evidence.fetched_at | day }} · {{ r.evidence.sha256[:12] }}</div>{% else %}<span
 class="muted">none</span>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% endfor %}
</main>
<footer>policywatch · a stance is the document's governing statement for the drug; "last good"
means the newest version that was a readable policy (maintenance pages, login walls and error
pages are never read as coverage).</footer>
</div>
</body>
</html>
"""
)

# The change report's index: counts per week (page) and per payer, linking each page. Its size
# grows with pages and payers, never with the changes' content.
CHANGES_INDEX = (
    MACROS
    + HEAD
    + """<body>
<div class="wrap">
<header>
<h1>Ketamine and esketamine coverage changes</h1>
<p class="meta">{{ period }} · generated {{ generated }} ·
{{ changes }} coverage change{{ "" if changes == 1 else "s" }} ·
{{ other }} operator event{{ "" if other == 1 else "s" }}
{% if awaiting %} · <strong>{{ awaiting }} awaiting review</strong>{% endif %}</p>
{{ nav(nav_items) }}
</header>
<main>
{% if not changes %}
<p class="empty">No coverage changes in this period.</p>
{% endif %}
{% if pages %}
<section class="group">
<h2>By week</h2>
<table class="weeks">
<thead><tr><th>Week</th><th>Days</th><th>Coverage changes</th><th>Other events</th></tr></thead>
<tbody>
{% for w in pages %}
<tr><td>{{ link(w.href, w.label) }}</td><td>{{ w.days }}</td><td>{{ w.changes }}</td>
<td>{{ w.other }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
<section class="group">
<h2>By payer</h2>
<table class="payers">
<thead><tr><th>Payer</th><th>Coverage changes</th><th>Other events</th><th>Weeks</th></tr></thead>
<tbody>
{% for p in payers %}
<tr><td>{{ p.payer }}</td><td>{{ p.changes }}</td><td>{{ p.other }}</td>
<td>{% for week, href, n in p.weeks %}{{ link(href, week) }} ({{ n }}){{ ", " if not loop.last
}}{% endfor %}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endif %}
</main>
<footer>policywatch · one page per ISO week (busy weeks in parts); snapshots are exported
byte for byte, check a file against the sha256 shown beside its link.</footer>
</div>
</body>
</html>
"""
)

TEMPLATES = {"changes.html": CHANGES, "changes-index.html": CHANGES_INDEX, "matrix.html": MATRIX}
