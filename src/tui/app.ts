/**
 * `wg tui`: the ink (React) components. Layout: a header (counts, service, filter), the left pane
 * (task list | dependency tree | agents; Tab switches), the inspector (the `wg show` page of the
 * selected task, its agent's output tail), the agents strip (idle time, tokens, last line), and
 * a footer (keys, the confirmation question, the last action's result). The list is lazy
 * (view.ts RowList): rows are built for the lines on screen only, and the unfiltered task list
 * is the snapshot's own array, so a 10k-task graph costs no per-row work per change or key.
 */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { createElement as h, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { confirmText, promptText, type ActionName, type ActionRequest, type DashboardActions } from '../dashboard/actions.js';
import { shortDuration, type AgentRow, type DashboardSnapshot } from '../dashboard/snapshot.js';
import type { DashboardSource } from '../dashboard/source.js';
import { FILTERS, inspectorLines, PANES, STATUS_COLOR, rowList, STATUS_WIDTH, statusLabel, taskRows, treeRows, windowOf, type ListRow, type Pane, type RowList } from './view.js';

export interface AppProps {
  source: DashboardSource;
  actions: DashboardActions;
  /** Terminal size when stdout cannot tell (tests). */
  rows?: number;
  columns?: number;
}

type Mode =
  | { kind: 'normal' }
  | { kind: 'confirm'; req: ActionRequest; question: string }
  | { kind: 'input'; purpose: 'search'; text: string }
  /** reject's reason or message's text for `task` (captured when the prompt opened: the list moves live). */
  | { kind: 'input'; purpose: 'message' | 'reject'; text: string; task: string };

const KEYS: Array<[string, ActionName]> = [
  ['r', 'retry'],
  ['K', 'kill'],
  ['u', 'unclaim'],
  ['a', 'approve'],
];

/** The footer's key help, for the actions this build offers. */
const KEY_HELP: Array<[ActionName, string]> = [
  ['retry', 'r retry'],
  ['kill', 'K kill'],
  ['unclaim', 'u unclaim'],
  ['pause', 'p pause/resume'],
  ['approve', 'a approve'],
  ['reject', 'R reject'],
  ['message', 'm message'],
];

const agentLine = (a: AgentRow): string =>
  `${a.id.padEnd(9)} ${a.task.slice(0, 22).padEnd(22)} ${a.status.padEnd(8)} ${a.running ? `idle ${shortDuration(a.idleMs)}`.padEnd(9) : ''.padEnd(9)} ${a.tokens !== undefined ? `${a.tokens} tok` : ''.padEnd(0)}  ${a.tail[a.tail.length - 1] ?? ''}`;

function rowText(r: ListRow, width: number): string {
  const mark = r.paused ? '‖ ' : '';
  const text = `${r.prefix}${mark}${r.id}  ${r.title}${r.assigned ? `  [${r.assigned}]` : ''}${r.note ? `  ${r.note}` : ''}`;
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text;
}

export function App(props: AppProps): ReactElement {
  const { source, actions } = props;
  const app = useApp();
  const { stdout } = useStdout();
  const [snap, setSnap] = useState<DashboardSnapshot>(() => source.current());
  const [pane, setPane] = useState<Pane>('tasks');
  const [filter, setFilter] = useState(0);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState(0);
  const [mode, setMode] = useState<Mode>({ kind: 'normal' });
  const [flash, setFlash] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => source.subscribe(setSnap), [source]);

  const rows = props.rows ?? stdout?.rows ?? 30;
  const columns = props.columns ?? stdout?.columns ?? 100;
  const filterName = FILTERS[filter]!;
  const list: RowList = useMemo(() => {
    if (pane === 'tree') return treeRows(snap, search);
    if (pane === 'agents') return rowList(snap.agents, (a) => ({ id: a.task, status: snap.graph.peek(a.task)?.status ?? 'missing', title: agentLine(a), paused: false, prefix: '' }));
    return taskRows(snap, filterName, search);
    // The tree depends on the graph only (a new object after each graph change).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pane === 'tree' ? snap.graph : snap, pane, filterName, search]);
  const sel = Math.min(selected, Math.max(0, list.length - 1));
  const current = list.at(sel);
  const agentOfCurrent = current ? snap.agents.find((a) => a.task === current.id && a.running) : undefined;

  const act = (name: ActionName, text?: string): void => {
    if (!current) return setFlash({ ok: false, text: 'no task selected' });
    if (!actions.available.has(name)) return setFlash({ ok: false, text: `${name} is not available in this build` });
    const req: ActionRequest = { action: name, task: current.id, ...(text !== undefined ? { text } : {}) };
    if (name === 'kill' && !agentOfCurrent) return setFlash({ ok: false, text: confirmText(req) });
    setMode({ kind: 'confirm', req, question: confirmText(req, agentOfCurrent?.id) });
  };

  /** reject and message: a text prompt for the selected task. */
  const ask = (name: 'reject' | 'message'): void => {
    if (!current) return setFlash({ ok: false, text: 'no task selected' });
    if (!actions.available.has(name)) return setFlash({ ok: false, text: `${name} is not available in this build` });
    setMode({ kind: 'input', purpose: name, text: '', task: current.id });
  };

  const run = (req: ActionRequest): void => {
    setBusy(true);
    actions
      .run(req)
      .then((lines) => setFlash({ ok: true, text: lines.join(' · ') }))
      .catch((e: unknown) => setFlash({ ok: false, text: `error: ${(e as Error).message}${(e as { hint?: string }).hint ? ` (hint: ${(e as { hint?: string }).hint})` : ''}` }))
      .finally(() => {
        setBusy(false);
        source.poke();
      });
  };

  const pageSize = Math.max(3, rows - 12);

  // Keys are handled by the latest render's closure: ink re-subscribes the handler in an effect,
  // so a key that arrives between a render and that effect would otherwise see stale state.
  const onKey = (input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]): void => {
    if (mode.kind === 'confirm') {
      if (input === 'y' || input === 'Y' || key.return) {
        setMode({ kind: 'normal' });
        run(mode.req);
      } else if (input === 'n' || input === 'N' || key.escape) {
        setMode({ kind: 'normal' });
        setFlash({ ok: true, text: 'cancelled' });
      }
      return;
    }
    if (mode.kind === 'input') {
      if (key.escape) {
        setMode({ kind: 'normal' });
        if (mode.purpose !== 'search') setFlash({ ok: true, text: 'cancelled' });
        return;
      }
      // A paste arrives as one input, possibly with its Enter in it.
      const nl = input.search(/[\r\n]/);
      if (key.return || nl >= 0) {
        const text = mode.text + (nl > 0 ? input.slice(0, nl) : '');
        if (mode.purpose === 'search') {
          setMode({ kind: 'normal' });
          setSearch(text);
          setSelected(0);
        } else if (text.trim()) {
          // The typed text and its Enter are the confirmation (Esc cancels).
          setMode({ kind: 'normal' });
          run({ action: mode.purpose, task: mode.task, text: text.trim() });
        } else setMode({ ...mode, text: '' }); // nothing typed: the prompt stays
        return;
      }
      if (key.backspace || key.delete) return setMode({ ...mode, text: mode.text.slice(0, -1) });
      if (input && !key.ctrl && !key.meta) setMode({ ...mode, text: mode.text + input });
      return;
    }
    if (input === 'q' || (key.ctrl && input === 'c')) {
      app.exit();
      return;
    }
    const last = Math.max(0, list.length - 1);
    const move = (d: number): void => setSelected((v) => Math.max(0, Math.min(Math.min(v, last) + d, last)));
    if (key.downArrow || input === 'j') move(1);
    else if (key.upArrow || input === 'k') move(-1);
    else if (key.pageDown) move(pageSize);
    else if (key.pageUp) move(-pageSize);
    else if (input === 'g' || key.home) setSelected(0);
    else if (input === 'G' || key.end) setSelected(last);
    else if (key.tab) {
      setPane(PANES[(PANES.indexOf(pane) + 1) % PANES.length]!);
      setSelected(0);
    } else if (input === 'f') {
      setFilter((filter + 1) % FILTERS.length);
      setSelected(0);
    } else if (input === 'F') {
      setFilter((filter + FILTERS.length - 1) % FILTERS.length);
      setSelected(0);
    } else if (input === '/') setMode({ kind: 'input', purpose: 'search', text: search });
    else if (input === 'p') act(current && snap.graph.peek(current.id)?.paused ? 'resume' : 'pause');
    else if (input === 'R') ask('reject');
    else if (input === 'm') ask('message');
    else {
      const k = KEYS.find(([c]) => c === input);
      if (k) act(k[1]);
    }
  };
  const latest = useRef(onKey);
  latest.current = onKey;
  useInput((input, key) => latest.current(input, key));

  // ---- layout -----------------------------------------------------------------------------
  const leftWidth = Math.max(30, Math.floor(columns * 0.5));
  const rightWidth = Math.max(20, columns - leftWidth - 1);
  const agentsShown = Math.min(4, snap.agents.length);
  const bodyHeight = Math.max(4, rows - 5 - (agentsShown ? agentsShown + 1 : 0));
  const win = windowOf(list.length, sel, bodyHeight - 1);
  const counts = [...snap.counts].map(([s, n]) => h(Text, { key: s, color: STATUS_COLOR[s] ?? 'white' }, `${s} ${n}  `));
  const header = h(
    Box,
    { key: 'header' },
    h(Text, { bold: true }, 'wg tui  '),
    h(Text, null, `${snap.tasks.length} tasks  `),
    ...counts,
    h(Text, { color: snap.service.running ? 'green' : 'gray' }, snap.service.running ? `● service PID ${snap.service.pid}` : '○ no service'),
  );
  const title = `${pane}${pane === 'tasks' ? ` · filter: ${filterName}` : ''}${search ? ` · /${search}` : ''} · ${list.length ? sel + 1 : 0}/${list.length}`;
  const listLines: ReactElement[] = [];
  for (let i = 0; i < win.end - win.start; i++) {
    const r = list.at(win.start + i)!;
    const isSel = win.start + i === sel;
    listLines.push(
      h(
        Text,
        { key: `${win.start + i}`, wrap: 'truncate', inverse: isSel },
        h(Text, { color: STATUS_COLOR[r.status] ?? 'white' }, `${(statusLabel(r.status) + (r.paused ? '‖' : '')).padEnd(STATUS_WIDTH)}`),
        rowText(r, leftWidth - STATUS_WIDTH - 2),
      ),
    );
  }
  const left = h(Box, { key: 'left', flexDirection: 'column', width: leftWidth, height: bodyHeight }, h(Text, { bold: true, color: 'cyan' }, title), ...(listLines.length ? listLines : [h(Text, { key: 'empty', color: 'gray' }, '(nothing here)')]));
  const inspector = inspectorLines(snap, current?.id, bodyHeight);
  const right = h(
    Box,
    { key: 'right', flexDirection: 'column', width: rightWidth, height: bodyHeight, borderStyle: undefined },
    ...inspector.map((l, i) => h(Text, { key: `i${i}`, wrap: 'truncate', bold: i === 0, color: i === 0 && current ? STATUS_COLOR[current.status] : undefined }, l || ' ')),
  );
  const agentsStrip = agentsShown
    ? h(
        Box,
        { key: 'agents', flexDirection: 'column' },
        h(Text, { bold: true, color: 'cyan' }, `agents (${snap.agents.filter((a) => a.running).length} running)`),
        ...snap.agents.slice(0, agentsShown).map((a) => h(Text, { key: a.id, wrap: 'truncate', color: a.running ? (a.alive ? 'yellow' : 'red') : 'gray' }, agentLine(a))),
      )
    : null;
  let footer: ReactElement;
  if (mode.kind === 'confirm') footer = h(Text, { color: 'yellow', bold: true }, `${mode.question}  [y/n]`);
  else if (mode.kind === 'input') footer = h(Text, { color: 'yellow', bold: mode.purpose !== 'search' }, mode.purpose === 'search' ? `search: ${mode.text}▌  (Enter: ok · Esc: cancel)` : `${promptText(mode.purpose, mode.task)}: ${mode.text}▌  (Enter: ${mode.purpose === 'reject' ? 'reject' : 'send'} · Esc: cancel)`);
  else if (busy) footer = h(Text, { color: 'yellow' }, 'working…');
  else if (flash) footer = h(Text, { color: flash.ok ? 'green' : 'red' }, flash.text);
  else {
    const has = (a: ActionName): boolean => actions.available.has(a);
    const keys = ['j/k move', 'Tab pane', 'f filter', '/ search', ...KEY_HELP.filter(([a]) => has(a)).map(([, text]) => text), 'q quit'];
    footer = h(Text, { color: 'gray', wrap: 'truncate' }, keys.join(' · '));
  }
  return h(
    Box,
    { flexDirection: 'column', width: columns },
    header,
    h(Box, { key: 'body', flexDirection: 'row' }, left, h(Box, { key: 'gap', width: 1 }), right),
    agentsStrip,
    h(Box, { key: 'footer', marginTop: 1 }, footer),
  );
}
