"""The site's stylesheet and its one script (the index filter), written as local files.

Local files, not inline, so a strict Content-Security-Policy (``script-src 'self'``) holds on a web
server; loaded with ``<script src>``, which browsers also run from ``file://``.  Colours meet WCAG
AA contrast (4.5:1 for text) on their backgrounds; focus is always visible.
"""

from __future__ import annotations

CSS = """\
:root{--ink:#1b1f24;--muted:#4b5563;--line:#d6dbe1;--bg:#f6f7f9;--card:#fff;--accent:#0b4f8a;
--accent-ink:#fff;--focus:#c2410c;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
"Liberation Sans",Arial,sans-serif;line-height:1.55;color:var(--ink);background:var(--bg)}
*{box-sizing:border-box}
body{margin:0}
a{color:var(--accent)}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--card);padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:2}
header.site{background:var(--accent);color:var(--accent-ink)}
header.site .bar{max-width:72rem;margin:0 auto;padding:.8rem 1.25rem;display:flex;gap:1.5rem;
align-items:center;flex-wrap:wrap}
header.site a{color:var(--accent-ink);text-decoration:none;font-weight:600}
header.site a:hover,header.site a:focus-visible{text-decoration:underline}
header.site :focus-visible{outline-color:#fff}
header.site .brand{font-size:1.15rem;margin-right:auto}
header.site nav ul{list-style:none;display:flex;gap:1.25rem;margin:0;padding:0}
main{max-width:72rem;margin:0 auto;padding:1.25rem 1.25rem 3rem}
h1{font-size:2rem;line-height:1.2;margin:.5rem 0 .25rem}
h2{font-size:1.35rem;margin:2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:1.2rem 0 .4rem}
.lead{font-size:1.2rem;color:var(--muted);margin:.2rem 0 1rem}
.crumbs ol{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.4rem;font-size:.95rem}
.crumbs li+li::before{content:"›";margin-right:.4rem;color:var(--muted)}
.stats{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0;padding:0;list-style:none}
.stats li{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.6rem 1rem}
.stats strong{display:block;font-size:1.5rem;color:var(--accent)}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.25rem;
margin:1rem 0}
.filter{display:flex;gap:1rem;flex-wrap:wrap;align-items:end}
.filter label{display:block;font-weight:600;margin-bottom:.25rem}
.filter input,.filter select{font:inherit;padding:.45rem .6rem;border:1px solid #6b7280;
border-radius:.35rem;min-width:16rem;background:#fff;color:var(--ink)}
.filter p{margin:0;color:var(--muted)}
.cluster-list>section>h2{display:flex;justify-content:space-between;gap:1rem;align-items:baseline}
.count{font-size:.95rem;font-weight:400;color:var(--muted);white-space:nowrap}
ul.initiatives{list-style:none;padding:0;margin:0;display:grid;
grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.5rem}
ul.initiatives li{background:var(--card);border:1px solid var(--line);border-radius:.45rem;
padding:.55rem .8rem}
ul.initiatives a{font-weight:600}
ul.initiatives span{display:block;color:var(--muted);font-size:.92rem}
.profile{display:grid;grid-template-columns:minmax(0,1fr) 18rem;gap:2rem}
@media (max-width:50rem){.profile{grid-template-columns:1fr}}
aside .card h2{margin-top:0;font-size:1.1rem}
.logo{display:flex;align-items:center;justify-content:center;width:8rem;height:8rem;
border-radius:.6rem;background:var(--card);border:1px solid var(--line);overflow:hidden}
.logo img{max-width:100%;max-height:100%}
.logo svg{width:100%;height:100%}
.title-row{display:flex;gap:1.25rem;align-items:center}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
.contacts li,.links li{margin:.35rem 0}
.muted{color:var(--muted)}
figure.picture{margin:1rem 0;background:var(--card);border:1px solid var(--line);border-radius:.6rem;
padding:.5rem}
figure.picture figcaption{color:var(--muted);font-size:.95rem;padding:.25rem .5rem}
svg.graph{width:100%;height:auto;display:block}
svg.graph line{stroke:#9aa4b1}
svg.graph line.mention{stroke:#8a4b08;stroke-opacity:.75}
svg.graph line.across{stroke:#8a4b08;stroke-opacity:.45}
svg.graph text{font-size:12px;fill:#1b1f24;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg.graph .cluster text{font-size:14px;font-weight:700}
svg.graph a:hover circle,svg.graph a:focus circle{stroke:#c2410c;stroke-width:4px}
svg.graph a:focus{outline:none}
.legend{display:flex;gap:1.2rem;flex-wrap:wrap;font-size:.92rem;color:var(--muted);margin:.5rem 0}
.legend span::before{content:"";display:inline-block;width:.8rem;height:.8rem;border-radius:50%;
margin-right:.35rem;vertical-align:-.1rem;background:var(--dot)}
pre{background:#eef1f4;border:1px solid var(--line);border-radius:.4rem;padding:.8rem;overflow:auto;
font-size:.9rem}
aside code{overflow-wrap:anywhere}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
footer.site{border-top:1px solid var(--line);color:var(--muted);font-size:.92rem}
footer.site div{max-width:72rem;margin:0 auto;padding:1rem 1.25rem}
[hidden]{display:none !important}
"""

# The filter: one text box (name, title, cluster, keywords) and a cluster list, over data-k/data-c.
JS = """\
"use strict";
(function () {
  var form = document.getElementById("filter");
  if (!form) { return; }
  var box = document.getElementById("q"), pick = document.getElementById("cluster");
  var status = document.getElementById("shown");
  var items = Array.prototype.slice.call(document.querySelectorAll("li[data-k]"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section[data-cluster]"));
  function apply() {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var cluster = pick.value, shown = 0;
    items.forEach(function (li) {
      var key = li.getAttribute("data-k");
      var ok = (!cluster || li.getAttribute("data-c") === cluster) &&
        words.every(function (w) { return key.indexOf(w) !== -1; });
      li.hidden = !ok;
      if (ok) { shown += 1; }
    });
    sections.forEach(function (s) {
      var visible = s.querySelectorAll("li[data-k]:not([hidden])").length;
      s.hidden = visible === 0;
      var count = s.querySelector(".count");
      if (count) { count.textContent = visible + " of " + s.getAttribute("data-total"); }
    });
    status.textContent = shown + " of " + items.length + " initiatives shown";
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  box.addEventListener("input", apply);
  pick.addEventListener("change", apply);
  var start = new URLSearchParams(window.location.search).get("q");
  if (start) { box.value = start; }
  apply();
})();
"""
