"""Jinja2 templates of the public site, kept in Python so they ship with the package as code.

Autoescaping is on: crawled text is always text. No page loads a script or an external asset,
and each page's Content-Security-Policy forbids them anyway.
"""

from __future__ import annotations

CSS = """
:root { --ink:#1d2329; --muted:#5d6670; --line:#d9dee3; --bg:#f6f7f9; --card:#fff;
  --accent:#1f5fa8; }
* { box-sizing:border-box; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; background:var(--bg); color:var(--ink);
  font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
    "DejaVu Sans","Liberation Sans",sans-serif;
  overflow-wrap:anywhere; }
header.site { background:#17324d; color:#fff; }
header.site .wrap { padding-top:14px; padding-bottom:14px; display:flex; flex-wrap:wrap;
  gap:6px 18px; align-items:baseline; }
header.site a { color:#fff; text-decoration:none; }
header.site .brand { font-weight:700; font-size:1.05rem; margin-right:auto; }
header.site nav a { margin-right:14px; font-size:.95rem; opacity:.92; }
.wrap { max-width:1040px; margin:0 auto; padding:20px 18px 40px; }
h1 { font-size:1.75rem; line-height:1.25; margin:8px 0 6px; }
h2 { font-size:1.3rem; margin:30px 0 10px; }
h3 { font-size:1.08rem; margin:18px 0 6px; }
a { color:var(--accent); }
.lead { font-size:1.1rem; color:#333b44; max-width:46em; }
.muted, .meta { color:var(--muted); font-size:.92rem; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px;
  padding:16px 18px; margin:14px 0; }
.answer { border-left:6px solid #9e9e9e; }
.g-covered { border-left-color:#1b7837; } .g-conditions { border-left-color:#2166ac; }
.g-restricted { border-left-color:#e08214; } .g-denied { border-left-color:#b2182b; }
.g-silent { border-left-color:#9e9e9e; } .g-nosource { border-left-color:#c9ced3; }
.badge { display:inline-block; border-radius:999px; padding:1px 10px; font-size:.82rem;
  font-weight:600; color:#fff; background:#9e9e9e; }
.b-covered { background:#1b7837; } .b-conditions { background:#2166ac; }
.b-restricted { background:#b35806; } .b-denied { background:#b2182b; }
.b-silent { background:#6e6e6e; } .b-nosource { background:#eceff2; color:#333; }
.sentence { font-size:1.06rem; font-weight:500; margin:6px 0; }
ul.needs { margin:4px 0 8px; padding-left:1.3em; }
.evidence { font-size:.9rem; color:var(--muted); }
.map-wrap { display:flex; flex-wrap:wrap; gap:18px 28px; align-items:flex-start; }
.map-wrap .map { flex:1 1 460px; min-width:0; max-width:640px; }
.map-wrap .side { flex:1 1 300px; min-width:0; }
svg.usmap, svg.chart { width:100%; height:auto; display:block; }
svg.chart { max-width:640px; margin:6px 0 14px; }
svg.usmap a:focus rect, svg.usmap a:hover rect { stroke:#000; stroke-width:2; }
ul.legend { list-style:none; padding:0; margin:4px 0 0; display:grid;
  grid-template-columns:repeat(auto-fill,minmax(13em,1fr)); gap:4px 16px; font-size:.92rem; }
ul.legend .swatch { display:inline-block; width:1em; height:1em; border-radius:3px;
  vertical-align:-2px; margin-right:8px; }
ul.legend .swatch.dashed { border:1px dashed #8a939b; }
ul.changes { list-style:none; padding:0; margin:0; }
ul.changes li { padding:10px 0; border-bottom:1px solid var(--line); }
ul.cols { columns:14em; padding-left:1.1em; }
dl.facts { display:grid; grid-template-columns:minmax(8em,max-content) 1fr; gap:4px 14px; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
table { border-collapse:collapse; width:100%; font-size:.94rem; }
th, td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
thead th { background:#eef1f4; font-size:.82rem; color:var(--muted); }
footer.site { color:var(--muted); font-size:.85rem; border-top:1px solid var(--line);
  margin-top:30px; padding-top:12px; }
@media (max-width:560px) { h1 { font-size:1.45rem; } .wrap { padding:14px 12px 30px; }
  dl.facts { grid-template-columns:1fr; } dl.facts dd { margin-bottom:6px; } }
"""

BASE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Ketamine and Spravato coverage</title>
<link rel="alternate" type="application/atom+xml" title="Confirmed coverage changes" href="{{ links.page('feed.atom') }}">
<link rel="canonical" href="{{ links.page(path) }}">
<style>{{ css }}</style>
</head>
<body>
<header class="site"><div class="wrap">
<a class="brand" href="{{ root }}index.html">Will my insurance pay for ketamine or Spravato?</a>
<nav><a href="{{ root }}index.html#states">States</a><a href="{{ root }}payers/index.html">Insurers</a><a href="{{ root }}changes/index.html">Changes</a><a href="{{ root }}glossary.html">Words explained</a><a href="{{ links.page('feed.atom') }}">Feed</a></nav>
</div></header>
<main class="wrap">
{% block body %}{% endblock %}
<footer class="site">Data as of {{ as_of }}. Every statement links to the archived copy of the
document it comes from. Coverage changes appear here after an analyst has checked them.
This is not medical or insurance advice: ask your plan to confirm your own coverage.</footer>
</main>
</body>
</html>
"""

MACROS = """
{% macro answer_card(s, root) -%}
<div class="card answer g-{{ s.group }}" data-drug="{{ s.drug }}" data-stance="{{ s.stance }}">
<p><span class="badge b-{{ s.group }}">{{ s.label }}</span> <strong>{{ s.drug_name }}</strong></p>
<p class="sentence">{{ s.sentence }}</p>
{% if s.needs %}<p>You need:</p><ul class="needs">{% for n in s.needs %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% for l in s.limits %}<p>{{ l }}</p>{% endfor %}
{% if s.note %}<p class="muted">{{ s.note }}</p>{% endif %}
<p class="evidence">Source: <a href="{{ root }}payers/{{ slug(s.source.payer) }}.html">{{ s.source.payer }}</a>,
{{ s.plan }}, “{{ s.source.title }}”{% if s.effective %}, effective {{ s.effective }}{% endif %}.
Last checked {{ s.checked }}.
<a class="evidence-link" href="{{ s.evidence_url }}">Evidence: the document as archived on {{ s.evidence_day }}</a>
<span class="muted">(sha256 {{ s.sha256[:16] }}…)</span></p>
</div>
{%- endmacro %}

{% macro change_list(changes, root, links) -%}
{% if changes %}<ul class="changes">
{% for f in changes %}<li><span class="muted">{{ f.detected }}</span> ·
<a href="{{ root }}changes/{{ f.change.slug }}.html">{{ f.change.text }}</a>
<span class="evidence">(<a class="evidence-link" href="{{ f.after_url }}">evidence</a>)</span></li>
{% endfor %}</ul>{% else %}<p class="muted">No confirmed changes yet.</p>{% endif %}
{%- endmacro %}
"""

INDEX = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<h1>Will my insurance pay for ketamine or Spravato?</h1>
<p class="lead">Spravato (esketamine nasal spray) is approved for depression that other
treatments did not help, and most plans cover it with conditions. Ketamine infusions for
depression are used off-label, and most plans do not cover them. Here is what each state's
Medicaid program, Medicare, the military and veterans' programs and the large national insurers
say, with a link to the document behind every answer.</p>

<h2 id="states">Medicaid, state by state</h2>
<div class="map-wrap">
<div class="map">{{ map_svg | safe }}
<p class="muted">{{ legend_title }}:</p>
<ul class="legend">{% for key, label, fill in legend %}<li data-group="{{ key }}"><span class="swatch{% if key == 'nosource' %} dashed{% endif %}" style="background:{{ fill }}"></span>{{ label }}</li>{% endfor %}</ul>
</div>
<div class="side">
<p>Tap a state for its Medicaid program's answer, the conditions, and the history of
changes. A light state with a dashed outline means we have no source for it yet; the small squares stand for the states too small to tap on the map.</p>
<ul class="cols">{% for st in states %}<li><a href="states/{{ st.code }}.html">{{ st.name }}</a></li>{% endfor %}</ul>
</div>
</div>

<h2 id="federal">Medicare, the military and veterans</h2>
{% for p, stmts in federal %}<h3><a href="payers/{{ p.slug }}.html">{{ p.name }}</a></h3>
{% for s in stmts %}{{ m.answer_card(s, "") }}{% else %}<p class="muted">No answer read from its documents yet.</p>{% endfor %}
{% else %}<p class="muted">No federal program sources yet.</p>{% endfor %}

<h2 id="national">National private insurers</h2>
{% for p, stmts in national %}<h3><a href="payers/{{ p.slug }}.html">{{ p.name }}</a></h3>
{% for s in stmts %}{{ m.answer_card(s, "") }}{% else %}<p class="muted">No answer read from its documents yet.</p>{% endfor %}
{% else %}<p class="muted">No national insurer sources yet.</p>{% endfor %}

<h2 id="changes">Latest confirmed changes</h2>
{{ m.change_list(latest, "", links) }}
<p><a href="changes/index.html">All changes</a> · <a href="{{ links.page('feed.atom') }}">Subscribe (Atom feed)</a></p>
<h3>Confirmed changes per month</h3>
{{ months_svg | safe }}
{% endblock %}
"""

STATE = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<p class="muted"><a href="../index.html#states">All states</a></p>
<h1>{{ st.name }}: Medicaid coverage of Spravato and ketamine</h1>
{% for drug, s, words in answers %}
{% if s %}{{ m.answer_card(s, "../") }}{% else %}
<div class="card answer g-{{ words.group }}" data-drug="{{ drug }}" data-stance="none">
<p><span class="badge b-{{ words.group }}">{{ words.label }}</span> <strong>{{ drug_names[drug] }}</strong></p>
<p class="sentence">{{ words.sentence.format(drug=drug_short[drug]) }}</p></div>{% endif %}
{% endfor %}
{% if others %}<h2>Other answers from {{ st.name }} Medicaid documents</h2>
{% for s in others %}{{ m.answer_card(s, "../") }}{% endfor %}{% endif %}
<h2>History of changes</h2>
{{ m.change_list(changes, "../", links) }}
{% if timelines %}<h2>Timeline of each document</h2>
{% for view, svg in timelines %}<h3>{{ view.info.payer }}: {{ view.info.title }}</h3>{{ svg | safe }}{% endfor %}{% endif %}
{% if plans %}<h2>Other plans based in {{ st.name }}</h2>
<ul>{% for p in plans %}<li><a href="../payers/{{ p[0] }}.html">{{ p[1] }}</a></li>{% endfor %}</ul>{% endif %}
{% endblock %}
"""

PAYER = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<p class="muted"><a href="index.html">All insurers</a></p>
<h1>{{ p.name }}: coverage of Spravato and ketamine</h1>
{% for plan, items in sections %}<h2>{{ plan }}</h2>
{% for view, stmts, svg in items %}<h3>{{ view.info.title }}{% if view.info.state != "US" %} ({{ view.info.state }}){% endif %}</h3>
{% for s in stmts %}{{ m.answer_card(s, "../") }}{% else %}<p class="muted">No ketamine or Spravato coverage read from this document yet (last checked {{ view.info.last_checked_at.strftime('%Y-%m-%d') if view.info.last_checked_at else "not yet" }}).</p>{% endfor %}
{{ svg | safe }}
{% endfor %}{% endfor %}
<h2>History of changes</h2>
{{ m.change_list(changes, "../", links) }}
{% endblock %}
"""

PAYERS = """{% extends "base" %}{% block body %}
<h1>Insurers and programs</h1>
{% for plan, items in groups %}<h2>{{ plan }}</h2><ul class="cols">
{% for p in items %}<li><a href="{{ p.slug }}.html">{{ p.name }}</a></li>{% endfor %}</ul>{% endfor %}
{% endblock %}
"""

CHANGE = """{% extends "base" %}{% block body %}
<p class="muted"><a href="index.html">All changes</a></p>
<h1>{{ f.change.text }}</h1>
<dl class="facts">
<dt>Insurer</dt><dd><a href="../payers/{{ slug(ev.source.payer) }}.html">{{ ev.source.payer }}</a>, {{ f.plan }}</dd>
{% if ev.source.state != "US" %}<dt>State</dt><dd>{% if state_page %}<a href="../states/{{ ev.source.state }}.html">{{ state_name }}</a>{% else %}{{ state_name }}{% endif %}</dd>{% endif %}
<dt>Drug</dt><dd>{{ f.drug_name }}</dd>
<dt>Coverage</dt><dd>{{ f.before }} → {{ f.after }}</dd>
{% if ev.effective_date %}<dt>Effective</dt><dd>{{ ev.effective_date }}</dd>{% endif %}
<dt>Found</dt><dd>{{ f.detected }}</dd>
<dt>Document</dt><dd>“{{ ev.source.title }}”</dd>
</dl>
{% if f.criteria %}<h2>What changed in the conditions</h2>
<table><thead><tr><th>Condition</th><th>Before</th><th>After</th></tr></thead><tbody>
{% for c in f.criteria %}<tr><td>{{ c.name }}</td><td>{{ c.before }}</td><td>{{ c.after }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
<h2>Evidence</h2>
<ul>
<li><a class="evidence-link" href="{{ f.after_url }}">The document as archived on {{ f.after_day }}</a> <span class="muted">(sha256 {{ ev.after.sha256 }})</span></li>
{% if f.before_url %}<li><a class="evidence-link" href="{{ f.before_url }}">The earlier version, archived on {{ f.before_day }}</a> <span class="muted">(sha256 {{ ev.before.sha256 }})</span></li>{% endif %}
{% if live %}<li><a href="{{ live }}" rel="nofollow noopener">The document on the insurer's site</a> (it may have changed since)</li>{% endif %}
</ul>
{% endblock %}
"""

CHANGES = """{% extends "base" %}{% import "macros" as m with context %}{% block body %}
<h1>Confirmed coverage changes</h1>
<p class="lead">Every change here was detected in an insurer's document and checked by an analyst.</p>
{{ months_svg | safe }}
{{ m.change_list(items, "../", links) }}
{% endblock %}
"""

GLOSSARY = """{% extends "base" %}{% block body %}
<h1>Words explained</h1>
<h2>What the answers mean</h2>
<dl class="facts">{% for label, sentence in stances %}<dt>{{ label }}</dt><dd>{{ sentence }}</dd>{% endfor %}</dl>
<h2>Plans and programs</h2>
<ul>{% for name in plans %}<li>{{ name }}</li>{% endfor %}</ul>
<h2>Abbreviations</h2>
<dl class="facts">{% for abbr, text in abbreviations %}<dt>{{ abbr }}</dt><dd>{{ text }}</dd>{% endfor %}</dl>
{% endblock %}
"""

TEMPLATES = {
    "base": BASE,
    "macros": MACROS,
    "index": INDEX,
    "state": STATE,
    "payer": PAYER,
    "payers": PAYERS,
    "change": CHANGE,
    "changes": CHANGES,
    "glossary": GLOSSARY,
}
