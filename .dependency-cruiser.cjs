/**
 * Import boundaries (issue 8), checked by `npm test` (and so by .ci/run): the layers of
 * docs/architecture.md. Type-only imports count too (tsPreCompilationDeps): a type is a
 * dependency on the layer that owns it.
 */
/**
 * The layers, one row each: `only` — the src/ layers it may import besides itself (packages and
 * node: modules are allowed); `not` — the src/ layers it must not import. src/core is stricter
 * (nothing outside src/core at all) and has its own rule below.
 */
const LAYERS = [
  { name: 'store-only-core', from: 'store', only: ['core'], comment: 'src/store builds on src/core only (packages and node: modules are its job).' },
  { name: 'render-only-core', from: 'render', only: ['core'], comment: 'src/render turns core data into text/HTML: it imports src/core only.' },
  { name: 'events-only-core-store', from: 'events', only: ['core', 'store'], comment: 'src/events (the event source under wg watch and the dashboards) reads files: it imports src/core and src/store only.' },
  { name: 'compat-only-core', from: 'compat', only: ['core'], comment: "src/compat models the Rust tool's readers (what it can load): it imports only src/core." },
  { name: 'agency-not-service-or-cli', from: 'agency', not: ['service', 'cli'] },
  { name: 'agents-not-service-or-cli', from: 'agents', not: ['service', 'cli'] },
  { name: 'git-not-service-or-cli', from: 'git', not: ['service', 'cli'], comment: 'src/git (worktrees, landing) is used by the CLI and the service: it imports neither.' },
  { name: 'service-not-cli', from: 'service', not: ['cli'] },
  { name: 'dashboard-below-the-uis', from: 'dashboard', only: ['core', 'store', 'agents', 'events', 'render'], comment: 'src/dashboard (the feed, the snapshot, the action interface shared by wg tui and wg serve) reads through core, store, agents, events and render; it knows no UI, no command, no service.' },
  { name: 'tui-only-dashboard', from: 'tui', only: ['core', 'render', 'dashboard'], comment: "src/tui draws a DashboardSource and calls DashboardActions: it imports core, render and dashboard only (actions are the CLI's, injected)." },
  { name: 'serve-only-dashboard', from: 'serve', only: ['core', 'render', 'dashboard'], comment: "src/serve (the HTTP server and its pages) imports core, render and dashboard only (actions are the CLI's, injected)." },
];

const layerRule = ({ name, from, only, not, comment }) => ({
  name,
  ...(comment ? { comment } : {}),
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: only ? { path: '^src/', pathNot: `^src/(${[...only, from].join('|')})/` } : { path: `^src/(${not.join('|')})/` },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core is pure: it imports only src/core — no node:fs/child_process/net, no package, nothing above it.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: '^src/core/' },
    },
    ...LAYERS.map(layerRule),
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo (or a missing dependency).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
  },
};
