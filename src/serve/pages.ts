/**
 * The pages of `wg serve`: the live dashboard (stuck work first, agents with their output tail,
 * the graph with status colours) and the task page (the `wg html` / `wg show` page, from
 * render/html.ts, plus the action buttons). Pure: snapshot in, HTML out. Every user-written
 * string goes through escapeHtml; the pages' one script and stylesheet are allowed by hash in
 * the Content-Security-Policy the server sends (nothing else runs or loads).
 */
import { createHash } from 'node:crypto';
import type { StuckItem } from '../core/stuck.js';
import { STATUSES, type Task } from '../core/task.js';
import { confirmText, type ActionName } from '../dashboard/actions.js';
import { shortDuration, type AgentRow, type DashboardSnapshot } from '../dashboard/snapshot.js';
import { eventLine } from '../render/events.js';
import { badge, CSS, escapeHtml, renderTaskBody, TASK_SCRIPT, type Links } from '../render/html.js';
import { taskPage, type EvalSummary } from '../render/show.js';
import { vizLayout } from '../render/viz.js';

/** At most this many rows in the graph table (filter by status to see the rest). */
export const MAX_ROWS = 500;
const MAX_TREE_ROWS = 2000;

const LIVE_CSS = `
.live-bar{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
#flash{position:fixed;right:16px;bottom:16px;max-width:520px;padding:10px 14px;border-radius:8px;background:var(--card);border:1px solid var(--line);white-space:pre-wrap;box-shadow:0 2px 10px rgba(0,0,0,.15)}
#flash.err{border-color:#a40e26;color:#a40e26}
.actions button{margin-right:6px}
.with-text{display:inline-flex;gap:4px;margin-right:6px}.with-text input{width:16em}
button.danger{border-color:#a40e26;color:#a40e26}
pre.tail{margin:4px 0 0;padding:4px 8px;font-size:.8em;max-height:7.5em;white-space:pre-wrap}
.kind{font-weight:600;white-space:nowrap}
.kind-failed{color:#a40e26}.kind-hung{color:#953800}.kind-stale-claim{color:#7a5a00}.kind-blocked-by-failed{color:#6639ba}.kind-waiting-human{color:#0550ae}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.3em;vertical-align:middle}
.svc-on{background:#2da44e}.svc-off{background:#8c959f}
`;

/**
 * The dashboard's script: server-sent events → refetch the live part (text typed into a reason or
 * message field is kept across it); buttons → confirm → POST. Reject and Message read their
 * text field (Enter in it presses the button); an empty one is refused before anything is asked.
 */
export const LIVE_SCRIPT = `
(function () {
  var live = document.getElementById('live');
  var busy = false, again = false;
  // What was typed into a reason/message field survives the live part being replaced.
  var kept = {};
  document.addEventListener('input', function (e) {
    var f = e.target;
    if (!f.matches || !f.matches('input[data-for]')) return;
    kept[f.getAttribute('data-for') + '|' + f.getAttribute('data-task')] = f.value;
    if (flash.className === 'err') flash.hidden = true; // "type a reason first" is answered
  });
  function swap(html) {
    var a = document.activeElement, focus = a && a.matches && a.matches('input[data-for]') ? a.getAttribute('data-for') + '|' + a.getAttribute('data-task') : null;
    var pos = focus ? [a.selectionStart, a.selectionEnd] : null;
    live.innerHTML = html;
    live.querySelectorAll('input[data-for]').forEach(function (f) {
      var k = f.getAttribute('data-for') + '|' + f.getAttribute('data-task');
      if (kept[k]) f.value = kept[k];
      if (k === focus) { f.focus(); try { f.setSelectionRange(pos[0], pos[1]); } catch (err) {} }
    });
  }
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var u = new URL(location.href);
    u.searchParams.set('partial', '1');
    fetch(u.toString(), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(new Error('HTTP ' + r.status)); })
      .then(swap)
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var es = new EventSource('/events');
  es.addEventListener('update', refresh);
  es.addEventListener('open', function () { document.body.setAttribute('data-connected', '1'); });
  var flash = document.getElementById('flash');
  function show(ok, text) {
    flash.textContent = text;
    flash.className = ok ? '' : 'err';
    flash.hidden = false;
  }
  function post(b, body) {
    b.disabled = true;
    fetch('/action', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { show(r.ok, r.ok ? j.lines.join('\\n') : j.error + (j.hint ? '\\n' + j.hint : '')); if (r.ok && body.text) clearText(b); }); })
      .catch(function (err) { show(false, String(err)); })
      .then(function () { b.disabled = false; refresh(); });
  }
  function textField(b) {
    var box = b.closest('.actions');
    return box ? box.querySelector('input[data-for="' + b.getAttribute('data-action') + '"]') : null;
  }
  function clearText(b) {
    var f = textField(b);
    if (f) f.value = '';
    delete kept[b.getAttribute('data-action') + '|' + b.getAttribute('data-task')];
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('button[data-action]') : null;
    if (!b) return;
    var body = { action: b.getAttribute('data-action'), task: b.getAttribute('data-task') };
    var field = textField(b);
    if (field) {
      var text = field.value.trim();
      if (!text) { show(false, field.getAttribute('data-empty')); field.focus(); return; }
      if (!window.confirm(b.getAttribute('data-confirm') + '\\n\\n' + text)) return;
      body.text = text;
    } else if (!window.confirm(b.getAttribute('data-confirm'))) return;
    post(b, body);
  });
  // Enter in a reason/message field presses its button.
  document.addEventListener('keydown', function (e) {
    var f = e.target;
    if (e.key !== 'Enter' || !f.matches || !f.matches('input[data-for]')) return;
    e.preventDefault();
    var b = f.closest('.actions').querySelector('button[data-action="' + f.getAttribute('data-for') + '"]');
    if (b) b.click();
  });
  var sel = document.getElementById('status-filter');
  if (sel) sel.addEventListener('change', function () {
    var u = new URL(location.href);
    if (sel.value) u.searchParams.set('status', sel.value); else u.searchParams.delete('status');
    location.href = u.toString();
  });
})();
`;

const sha = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** The Content-Security-Policy header of every page: our script and styles only; fetch/SSE to ourselves. */
export const PAGE_CSP = `default-src 'none'; script-src ${sha(LIVE_SCRIPT)} ${sha(TASK_SCRIPT)}; style-src ${sha(CSS + LIVE_CSS)}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const taskHref = (id: string): string => `/task/${encodeURIComponent(id)}`;

function document(title: string, body: string, scripts: string[]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${CSS + LIVE_CSS}</style>
</head>
<body>
${body}
<div id="flash" hidden></div>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body>
</html>
`;
}

const taskLink = (id: string, status: string): string => `<a href="${escapeHtml(taskHref(id))}">${badge(status)} <code>${escapeHtml(id)}</code></a>`;

/** The buttons that apply to a task in this state. */
export function actionsFor(t: Task | undefined, agentOf: string | undefined, available: ReadonlySet<ActionName>): ActionName[] {
  if (!t) return [];
  const out: ActionName[] = [];
  if (['failed', 'incomplete', 'abandoned', 'in-progress', 'failed-pending-eval'].includes(t.status)) out.push('retry');
  if (agentOf) out.push('kill');
  if (t.assigned && (t.status === 'in-progress' || t.status === 'open')) out.push('unclaim');
  if (t.status === 'pending-validation' || t.status === 'pending-eval') out.push('approve', 'reject');
  out.push(t.paused ? 'resume' : 'pause');
  return out.filter((a) => available.has(a));
}

const LABEL: Record<ActionName, string> = { retry: 'Retry', kill: 'Kill agent', unclaim: 'Unclaim', pause: 'Pause', resume: 'Resume', approve: 'Approve', reject: 'Reject', message: 'Message' };

/** Reject and message carry text: a field next to their button. */
const TEXT_FIELD: Partial<Record<ActionName, { placeholder: string; empty: string }>> = {
  reject: { placeholder: 'reason (the next attempt reads it)', empty: 'error: type a reason first (the next attempt reads it)' },
  message: { placeholder: 'message', empty: 'error: type a message first' },
};

function buttons(id: string, actions: ActionName[], agent: string | undefined): string {
  return actions
    .map((a) => {
      const req = { action: a, task: id };
      const button = `<button type="button" class="act-${a}${a === 'kill' || a === 'reject' ? ' danger' : ''}" data-action="${a}" data-task="${escapeHtml(id)}" data-confirm="${escapeHtml(a === 'kill' || a === 'reject' || a === 'message' ? confirmText(req, agent) : `${LABEL[a]} '${id}'?`)}">${LABEL[a]}</button>`;
      const field = TEXT_FIELD[a];
      if (!field) return button;
      return `<span class="with-text"><input type="text" class="text-${a}" data-for="${a}" data-task="${escapeHtml(id)}" maxlength="4000" placeholder="${escapeHtml(field.placeholder)}" data-empty="${escapeHtml(field.empty)}" aria-label="${escapeHtml(`${LABEL[a]} '${id}': ${field.placeholder}`)}">${button}</span>`;
    })
    .join('');
}

const runningAgentOf = (s: DashboardSnapshot, id: string): AgentRow | undefined => s.agents.find((a) => a.task === id && a.running);

function stuckSection(s: DashboardSnapshot, available: ReadonlySet<ActionName>): string {
  if (!s.stuck.length) return '<section id="stuck"><h2>Stuck work</h2><p class="muted">Nothing is stuck.</p></section>';
  const rows = s.stuck.map((i: StuckItem) => {
    const t = s.graph.peek(i.task);
    const agent = runningAgentOf(s, i.task)?.id;
    return `<tr data-kind="${i.kind}" data-task="${escapeHtml(i.task)}"><td class="kind kind-${i.kind}">${i.kind.replace(/-/g, ' ')}</td><td>${taskLink(i.task, i.status)}</td><td>${escapeHtml(i.title)}</td><td class="muted">${escapeHtml(i.why)}</td><td class="actions">${buttons(i.task, actionsFor(t, agent, available).filter((a) => a !== 'pause' && a !== 'resume'), agent)}</td></tr>`;
  });
  const total = Object.values(s.stuckCounts).reduce((a, b) => a + b, 0);
  const cut = total > s.stuck.length ? `<p class="muted">Showing ${s.stuck.length} of ${total}: the first 100 of each kind (${Object.entries(s.stuckCounts).filter(([, n]) => n).map(([k, n]) => `${n} ${k.replace(/-/g, ' ')}`).join(', ')}).</p>` : '';
  return `<section id="stuck"><h2>Stuck work (${total})</h2><table class="tasks"><tbody>${rows.join('\n')}</tbody></table>${cut}</section>`;
}

function agentsSection(s: DashboardSnapshot, available: ReadonlySet<ActionName>): string {
  if (!s.agents.length) return '<section id="agents"><h2>Agents</h2><p class="muted">No agents.</p></section>';
  const rows = s.agents.map((a) => {
    const t = s.graph.peek(a.task);
    const tokens = a.tokens !== undefined ? `${a.tokens.toLocaleString('en-US')} tok${a.costUsd !== undefined ? ` · $${a.costUsd.toFixed(2)}` : ''}` : '';
    return `<tr data-agent="${escapeHtml(a.id)}" data-status="${escapeHtml(a.status)}"><td><code>${escapeHtml(a.id)}</code><br><span class="muted">${escapeHtml(a.status)}${a.pid ? ` · PID ${a.pid}` : ''}</span></td><td>${taskLink(a.task, t?.status ?? 'missing')}<br><span class="muted">${escapeHtml(a.executor ?? '')}${a.model ? ` · ${escapeHtml(a.model)}` : ''}</span></td><td>${a.running ? `idle ${shortDuration(a.idleMs)}` : ''}<br><span class="muted">${tokens}</span></td><td class="tail-cell"><pre class="tail">${escapeHtml(a.tail.join('\n')) || '<span class="muted">(no output yet)</span>'}</pre></td><td class="actions">${a.running && available.has('kill') ? buttons(a.task, ['kill'], a.id) : ''}</td></tr>`;
  });
  return `<section id="agents"><h2>Agents (${s.agents.filter((a) => a.running).length} running)</h2><table class="tasks"><tbody>${rows.join('\n')}</tbody></table></section>`;
}

function graphSection(s: DashboardSnapshot, status: string | undefined): string {
  const shown = status ? s.tasks.filter((t) => t.status === status) : s.tasks;
  const rows = shown.slice(0, MAX_ROWS).map((t) => {
    const deps = (t.after ?? []).slice(0, 8).map((d) => taskLink(d, s.graph.peek(d)?.status ?? 'missing')).join(' ');
    return `<tr data-status="${escapeHtml(t.status)}" data-task="${escapeHtml(t.id)}"><td>${badge(t.status)}${t.paused ? ' <span class="badge paused">‖</span>' : ''}</td><td><a href="${escapeHtml(taskHref(t.id))}"><code>${escapeHtml(t.id)}</code></a></td><td>${escapeHtml(t.title)}</td><td>${t.assigned ? `<code>${escapeHtml(t.assigned)}</code>` : ''}</td><td class="deps-cell">${deps}</td></tr>`;
  });
  const more = shown.length > MAX_ROWS ? `<p class="muted">Showing ${MAX_ROWS} of ${shown.length} — choose a status to narrow the list.</p>` : '';
  return `<section id="graph"><h2>Graph${status ? ` — ${escapeHtml(status)}` : ''}</h2>${rows.length ? `<table id="task-table" class="tasks"><thead><tr><th>Status</th><th>Task</th><th>Title</th><th>Assigned</th><th>Depends on</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>` : '<p class="muted">(no tasks)</p>'}${more}<p><a href="/tree">The dependency tree of unfinished work →</a></p></section>`;
}

/** The dependency tree of unfinished work (its own page: laying out a 10k-task graph is not for every update). */
export function treePage(s: DashboardSnapshot): string {
  const layout = vizLayout(s.graph, { includeSystem: false, includeFinished: false });
  const lines = layout.rows.slice(0, MAX_TREE_ROWS).map((r) => {
    const t = r.task;
    return `<span class="node" data-status="${escapeHtml(t.status)}"><span class="tree">${escapeHtml(r.prefix)}</span><a href="${escapeHtml(taskHref(t.id))}">${escapeHtml(t.id)}</a>${r.repeat ? ' <span class="muted">↑</span>' : `  ${badge(t.status)} <span class="title">${escapeHtml(t.title)}</span>`}</span>`;
  });
  const cut = layout.rows.length > MAX_TREE_ROWS ? `\n<span class="muted">… ${layout.rows.length - MAX_TREE_ROWS} more rows (wg viz shows all)</span>` : '';
  const body = `<header><nav><a href="/">← dashboard</a></nav><h1>Unfinished work by dependency</h1></header>
<main><pre id="dep-tree" class="tree-view">${lines.join('\n') || '(nothing unfinished)'}${cut}</pre></main>`;
  return document('workgraph — dependency tree', body, []);
}

function summary(s: DashboardSnapshot): string {
  const counts = STATUSES.filter((st) => s.counts.has(st)).map((st) => `<a href="/?status=${st}">${badge(st)} ${s.counts.get(st)}</a>`);
  const svc = s.service.running ? `<span class="dot svc-on"></span>service running (PID ${s.service.pid})` : '<span class="dot svc-off"></span>service not running';
  return `<div id="snapshot" class="live-bar" data-version="${s.version}"><span>${s.tasks.length} tasks</span> ${counts.join(' ')} <span>${svc}</span> <span class="muted">updated ${escapeHtml(s.now.toISOString().slice(11, 19))}Z</span></div>`;
}

function eventsSection(s: DashboardSnapshot): string {
  if (!s.recent.length) return '';
  const lines = [...s.recent].reverse().map((e) => `<li>${escapeHtml(eventLine(e))}</li>`);
  return `<section id="events"><h2>Recent events</h2><ol class="log">${lines.join('')}</ol></section>`;
}

/** The live part of the dashboard (what an update replaces). */
export function dashboardLive(s: DashboardSnapshot, available: ReadonlySet<ActionName>, status?: string): string {
  return `${summary(s)}\n${stuckSection(s, available)}\n${agentsSection(s, available)}\n${eventsSection(s)}\n${graphSection(s, status)}`;
}

export function dashboardPage(live: string, s: DashboardSnapshot, status?: string): string {
  const seen = STATUSES.filter((st) => s.counts.has(st));
  const options = [`<option value="">all statuses</option>`, ...seen.map((st) => `<option value="${st}"${st === status ? ' selected' : ''}>${st} (${s.counts.get(st)})</option>`)];
  const body = `<header><h1>workgraph <span class="muted">live</span></h1>
<div class="controls"><label>Status <select id="status-filter">${options.join('')}</select></label></div>
</header>
<main id="live">${live}</main>`;
  return document('workgraph — live', body, [LIVE_SCRIPT]);
}

/** The task page's live part: the `wg html` task page plus the action buttons. */
export function taskLive(s: DashboardSnapshot, id: string, available: ReadonlySet<ActionName>, evaluation?: EvalSummary): string | undefined {
  if (!s.graph.has(id)) return undefined;
  const task = s.graph.get(id)!;
  const links: Links = { pageOf: (x) => (s.graph.has(x) ? encodeURIComponent(x) : undefined) };
  const agent = runningAgentOf(s, id);
  // The task page also sends messages (to the task: its agent reads them; a waiting task resumes).
  const acts = [...actionsFor(task, agent?.id, available), ...(available.has('message') ? (['message'] as const) : [])];
  const bar = `<section id="actions" class="actions" data-status="${escapeHtml(task.status)}" data-version="${s.version}">${buttons(id, acts, agent?.id)}</section>
${agent ? `<section id="agent"><h2>Agent ${escapeHtml(agent.id)} · idle ${shortDuration(agent.idleMs)}</h2><pre class="tail">${escapeHtml(agent.tail.join('\n'))}</pre></section>` : ''}`;
  return renderTaskBody(task, taskPage(s.graph, task, evaluation), links, '<nav><a href="/">← dashboard</a></nav>', bar);
}

export function taskDocument(s: DashboardSnapshot, id: string, available: ReadonlySet<ActionName>, evaluation?: EvalSummary): string | undefined {
  const inner = taskLive(s, id, available, evaluation);
  if (inner === undefined) return undefined;
  const task = s.graph.get(id)!;
  return document(`${task.id} — ${task.title}`, `<div id="live">${inner}</div>`, [TASK_SCRIPT, LIVE_SCRIPT]);
}
