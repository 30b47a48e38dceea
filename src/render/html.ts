/**
 * `wg html` pages (SPEC §6, upstream §6.2): a static site — `index.html` (every task, a status
 * filter, the dependency view) and `tasks/<id>.html` per task. Pure: graph + evaluations in,
 * file contents out (the command writes them).
 *
 * The task page is `taskPage()` from show.ts rendered as HTML, so it cannot drift from
 * `wg show`. Safety rules, all enforced here:
 * - every user-written string goes through `escapeHtml` (text and attributes alike);
 * - descriptions are markdown rendered by markdown-it with `html: false` (raw HTML is shown as
 *   text) and its link validation (no `javascript:`/`vbscript:`/`file:`/non-image `data:` URLs);
 *   images become links, so no page ever loads anything;
 * - each page carries a Content-Security-Policy: nothing loads (`default-src 'none'`), and only
 *   the page's own inline script and style (by sha256) run — defence in depth behind escaping;
 * - a task id becomes a file name only if it passes `isValidTaskId`; any other id (a graph
 *   written by another tool) gets `_<sha256>` instead, which no valid id can collide with.
 */
import { createHash } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import type { Graph } from '../core/graph.js';
import { isValidTaskId } from '../core/ids.js';
import { isSystemId, STATUSES, type Task } from '../core/task.js';
import { taskPage, type EvalSummary, type TaskPage } from './show.js';
import { vizLayout } from './viz.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const markdown = (() => {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
  // An image would be fetched when the page opens; show it as a link to its URL instead.
  md.renderer.rules.image = (tokens, idx, _options, _env, self) => {
    const token = tokens[idx]!;
    const src = token.attrGet('src') ?? '';
    const alt = self.renderInlineAsText(token.children ?? [], _options, _env) || src;
    return `<a class="image-link" href="${escapeHtml(src)}">[image: ${escapeHtml(alt)}]</a>`;
  };
  return md;
})();

/** Markdown → sanitized HTML (see the module comment). */
export function renderMarkdown(text: string): string {
  return markdown.render(text);
}

/** The page file name of a task (without `.html`), and whether the id had to be encoded. */
export function pageName(id: string): { name: string; encoded: boolean } {
  if (isValidTaskId(id)) return { name: id, encoded: false };
  return { name: `_${createHash('sha256').update(id).digest('hex').slice(0, 32)}`, encoded: true };
}

export interface SiteOptions {
  /** Include system (dot) tasks. */
  all: boolean;
  /** The newest evaluation of a task, if any. */
  evaluation: (taskId: string) => EvalSummary | undefined;
}

export interface Site {
  /** Relative path (`index.html`, `tasks/x.html`) → content. */
  files: Map<string, string>;
  /** Tasks with a page, in graph order. */
  tasks: Task[];
  warnings: string[];
}

export function buildSite(graph: Graph, opts: SiteOptions): Site {
  const tasks = graph.all().filter((t) => opts.all || !isSystemId(t.id));
  const files = new Map<string, string>();
  const warnings: string[] = [];
  const pages = new Map<string, string>();
  for (const t of tasks) {
    const { name, encoded } = pageName(t.id);
    if (encoded) warnings.push(`task id ${JSON.stringify(t.id)} is not a safe file name; its page is tasks/${name}.html`);
    pages.set(t.id, `${name}.html`);
  }
  const link = { pageOf: (id: string): string | undefined => pages.get(id) };
  files.set('index.html', renderIndex(graph, tasks, opts, link));
  for (const t of tasks) files.set(`tasks/${pages.get(t.id)!}`, renderTaskHtml(t, taskPage(graph, t, opts.evaluation(t.id)), link));
  return { files, tasks, warnings };
}

export interface Links {
  /** The page file of a task in this site (relative to tasks/), or undefined when it has none. */
  pageOf(id: string): string | undefined;
}

export const badge = (status: string): string => `<span class="badge st-${escapeHtml(status)}">${escapeHtml(status)}</span>`;

function taskRef(id: string, status: string, links: Links, base: string): string {
  const page = links.pageOf(id);
  const inner = `${badge(status)} <code>${escapeHtml(id)}</code>`;
  return page ? `<a href="${base}${escapeHtml(page)}">${inner}</a>` : inner;
}

function dependencyList(deps: Array<{ id: string; title: string | undefined; status: string }>, links: Links): string {
  const shown = deps.filter((d) => links.pageOf(d.id) !== undefined || !isSystemId(d.id));
  const hidden = deps.length - shown.length;
  const items = shown.map((d) => `<li>${taskRef(d.id, d.status, links, './')}${d.title !== undefined ? ` <span class="title">${escapeHtml(d.title)}</span>` : ''}</li>`);
  const note = hidden ? `<p class="muted">${hidden} system ${hidden === 1 ? 'task' : 'tasks'} hidden (wg html --all shows them)</p>` : '';
  return (items.length ? `<ul class="deps">${items.join('')}</ul>` : hidden ? '' : '<p class="muted">(none)</p>') + note;
}

export function renderTaskHtml(task: Task, page: TaskPage, links: Links): string {
  return document(`${task.id} — ${task.title}`, renderTaskBody(task, page, links, '<nav><a href="../index.html">← graph</a></nav>'), TASK_SCRIPT);
}

/** The task page's header and main (shared by `wg html` and the live task page of `wg serve`). */
export function renderTaskBody(task: Task, page: TaskPage, links: Links, nav: string, extra = ''): string {
  const rows = page.metadata.map(([k, v]) => {
    let value: string;
    if (k === 'Status') value = badge(task.status) + (task.paused ? ' <span class="badge paused">‖ paused</span>' : '');
    else if (k === 'Assigned' || k === 'Agent identity' || k === 'Model' || k === 'Exec') value = `<code>${escapeHtml(v)}</code>`;
    else if (k === 'Tags') value = (task.tags ?? []).map((t) => `<code>${escapeHtml(t)}</code>`).join(', ');
    else value = escapeHtml(v);
    const sub = k.startsWith('└');
    return `<tr${sub ? ' class="sub"' : ''}><th>${escapeHtml(k)}</th><td>${value}</td></tr>`;
  });
  const text = page.description ?? '';
  const desc = text.trim()
    ? `<button type="button" id="desc-toggle" hidden>show markdown source</button>
<div id="desc-pretty" class="markdown">${renderMarkdown(text)}</div>
<pre id="desc-raw" class="raw" hidden>${escapeHtml(text)}</pre>`
    : '<p class="muted">(no description)</p>';
  const log = page.log?.length
    ? `<ol class="log">${page.log
        .map((e) => `<li><span class="log-ts">${escapeHtml(e.timestamp)}</span>${e.actor ? ` <span class="actor">[${escapeHtml(e.actor)}]</span>` : ''} <span class="msg">${escapeHtml(e.message)}</span></li>`)
        .join('')}</ol>`
    : '<p class="muted">(empty)</p>';
  return `<header>
${nav}
<h1><code>${escapeHtml(task.id)}</code></h1>
<p class="task-title">${escapeHtml(task.title)}</p>
</header>
<main>
${extra}<section id="metadata"><h2>Metadata</h2>
<table class="meta"><tbody>${rows.join('\n')}</tbody></table></section>
<section id="description"><h2>Description</h2>
${desc}</section>
<section id="depends-on"><h2>Depends on</h2>
${dependencyList(page.dependsOn, links)}</section>
<section id="required-by"><h2>Required by</h2>
${dependencyList(page.requiredBy, links)}</section>
<section id="log"><h2>Log</h2>
${log}</section>
</main>`;
}

function renderIndex(graph: Graph, tasks: Task[], opts: SiteOptions, links: Links): string {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const statuses = [...STATUSES.filter((s) => counts.has(s)), ...[...counts.keys()].filter((s) => !(STATUSES as readonly string[]).includes(s)).sort()];
  const summary = statuses.map((s) => `${badge(s)} ${counts.get(s)}`).join(' ');
  const options = [`<option value="">all statuses (${tasks.length})</option>`, ...statuses.map((s) => `<option value="${escapeHtml(s)}">${escapeHtml(s)} (${counts.get(s)})</option>`)];
  const rows = tasks.map((t) => {
    const page = links.pageOf(t.id)!;
    const deps = (t.after ?? [])
      .filter((d) => links.pageOf(d) !== undefined || !isSystemId(d))
      .map((d) => taskRef(d, graph.get(d)?.status ?? 'missing', links, 'tasks/'))
      .join(' ');
    const text = `${t.id} ${t.title} ${t.assigned ?? ''} ${(t.tags ?? []).join(' ')}`.toLowerCase();
    return `<tr data-status="${escapeHtml(t.status)}" data-text="${escapeHtml(text)}"><td>${badge(t.status)}${t.paused ? ' <span class="badge paused">‖</span>' : ''}</td><td><a href="tasks/${escapeHtml(page)}"><code>${escapeHtml(t.id)}</code></a></td><td>${escapeHtml(t.title)}</td><td>${t.assigned ? `<code>${escapeHtml(t.assigned)}</code>` : ''}</td><td class="deps-cell">${deps}</td></tr>`;
  });
  const layout = vizLayout(graph, { includeSystem: opts.all, includeFinished: true });
  const tree = layout.rows.map((r) => {
    const t = r.task;
    const page = links.pageOf(t.id);
    const id = page ? `<a href="tasks/${escapeHtml(page)}">${escapeHtml(t.id)}</a>` : escapeHtml(t.id);
    const rest = r.repeat
      ? ' <span class="muted">↑ (drawn above)</span>'
      : `  ${badge(t.status)}${t.assigned ? ` <code>${escapeHtml(t.assigned)}</code>` : ''}${r.annotations.length ? ` <span class="muted">${escapeHtml(r.annotations.join(' '))}</span>` : ''} <span class="title">${escapeHtml(t.title)}</span>`;
    return `<span class="node" data-status="${escapeHtml(t.status)}"><span class="tree">${escapeHtml(r.prefix)}</span>${t.paused ? '‖ ' : ''}${id}${rest}</span>`;
  });
  const body = `<header>
<h1>workgraph</h1>
<p class="summary">${tasks.length} ${tasks.length === 1 ? 'task' : 'tasks'} ${summary}</p>
</header>
<main>
<section id="tasks"><h2>Tasks</h2>
<div class="controls">
<label>Status <select id="status-filter">${options.join('')}</select></label>
<label>Search <input id="text-filter" type="search" placeholder="id, title, assignee, tag"></label>
<span id="shown-count" class="muted"></span>
</div>
${tasks.length ? `<table id="task-table" class="tasks"><thead><tr><th>Status</th><th>Task</th><th>Title</th><th>Assigned</th><th>Depends on</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>` : '<p class="muted">(no tasks)</p>'}
<p id="no-match" class="muted" hidden>No task matches the filter.</p>
</section>
<section id="dependencies"><h2>Dependencies</h2>
<p class="muted">Each task is drawn under the task it depends on; a task with several dependencies is drawn once, and marked ↑ where it appears again.</p>
<pre id="dep-tree" class="tree-view">${tree.join('\n') || '(no tasks)'}</pre>
</section>
</main>`;
  return document('workgraph', body, INDEX_SCRIPT);
}

/** The pages' stylesheet (the live dashboard of `wg serve` adds its own rules after it). */
export const CSS = `
:root{color-scheme:light dark;--bg:#fbfbfa;--fg:#1f2328;--muted:#6a737d;--line:#d8dee4;--card:#fff;--link:#0b62c4;--code:#eff1f3}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#e6e6e6;--muted:#8b949e;--line:#30363d;--card:#161b22;--link:#58a6ff;--code:#21262d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header,main{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:18px;border-bottom:1px solid var(--line);padding-bottom:10px}
h1{font-size:1.5rem;margin:.2em 0}
section>h2{font-size:1.05rem;margin:1.6em 0 .5em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.markdown h1{font-size:1.4rem}.markdown h2{font-size:1.2rem}.markdown h3{font-size:1.05rem}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em}
code{background:var(--code);padding:.05em .3em;border-radius:4px}
pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto}
.muted{color:var(--muted)}
.task-title{font-size:1.1rem;margin:.2em 0 .4em}
.badge{display:inline-block;padding:0 .5em;border-radius:999px;font-size:.8em;line-height:1.6;font-weight:600;background:#e1e4e8;color:#24292f;white-space:nowrap}
.st-done{background:#d1f4dc;color:#116329}.st-in-progress{background:#fff1c2;color:#7a5a00}
.st-failed,.st-failed-pending-eval{background:#ffd8d3;color:#a40e26}.st-abandoned{background:#eaeef2;color:#6e7781;text-decoration:line-through}
.st-blocked,.st-waiting{background:#f0ddff;color:#6639ba}.st-pending-eval,.st-pending-validation{background:#d6ecff;color:#0550ae}
.st-incomplete{background:#ffe6cc;color:#953800}.st-missing{background:#ffd8d3;color:#a40e26}.paused{background:#eaeef2;color:#57606a}
table{border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:6px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
table.meta th{font-weight:600;white-space:nowrap;color:var(--muted)}
table.meta tr.sub th{font-weight:400;padding-left:22px}
table.tasks{width:100%}table.tasks thead th{font-size:.85em;color:var(--muted)}
.deps-cell a{margin-right:.4em}
.controls{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin-bottom:10px}
select,input,button{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg)}
button{cursor:pointer;font-size:.85em}
.markdown{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:4px 16px}
.raw{white-space:pre-wrap}
ul.deps{list-style:none;padding:0;margin:0}ul.deps li{padding:3px 0}
.title{color:var(--muted)}
ol.log{list-style:none;padding:0;margin:0;font-size:.92em}
ol.log li{padding:3px 0;border-bottom:1px dashed var(--line)}
.log-ts{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--muted);font-size:.9em}
.actor{color:var(--muted)}.msg{white-space:pre-wrap}
.tree-view{line-height:1.7}.tree{color:var(--muted)}.node.dim{opacity:.3}
main{padding-bottom:40px}
`;

const INDEX_SCRIPT = `
(function () {
  var sel = document.getElementById('status-filter');
  var q = document.getElementById('text-filter');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#task-table tbody tr'));
  var nodes = Array.prototype.slice.call(document.querySelectorAll('#dep-tree .node'));
  var count = document.getElementById('shown-count');
  var none = document.getElementById('no-match');
  function apply() {
    var st = sel.value, text = q.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var ok = (!st || r.getAttribute('data-status') === st) && (!text || r.getAttribute('data-text').indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) n++;
    });
    nodes.forEach(function (el) { el.classList.toggle('dim', !!st && el.getAttribute('data-status') !== st); });
    count.textContent = n + ' of ' + rows.length + ' shown';
    none.hidden = n !== 0 || rows.length === 0;
  }
  function fromHash() {
    var m = /status=([a-z-]+)/.exec(location.hash);
    if (m && sel.querySelector('option[value="' + m[1] + '"]')) sel.value = m[1];
  }
  sel.addEventListener('change', apply);
  q.addEventListener('input', apply);
  window.addEventListener('hashchange', function () { fromHash(); apply(); });
  fromHash();
  apply();
})();
`;

export const TASK_SCRIPT = `
(function () {
  var b = document.getElementById('desc-toggle');
  if (!b) return;
  var pretty = document.getElementById('desc-pretty'), raw = document.getElementById('desc-raw');
  var mode = 'pretty';
  try { mode = localStorage.getItem('wg-desc-view') === 'raw' ? 'raw' : 'pretty'; } catch (e) {}
  function show(m) {
    mode = m;
    pretty.hidden = m === 'raw';
    raw.hidden = m !== 'raw';
    b.textContent = m === 'raw' ? 'show rendered' : 'show markdown source';
  }
  b.hidden = false;
  b.addEventListener('click', function () {
    show(mode === 'raw' ? 'pretty' : 'raw');
    try { localStorage.setItem('wg-desc-view', mode); } catch (e) {}
  });
  show(mode);
})();
`;

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const CSP = (script: string): string =>
  `default-src 'none'; script-src ${sha256(script)}; style-src ${sha256(CSS)}; img-src data:; base-uri 'none'; form-action 'none'`;

function document(title: string, body: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP(script)}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="workgraph (wg html)">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script>${script}</script>
</body>
</html>
`;
}
