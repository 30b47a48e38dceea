/**
 * Import boundaries (issue 8), checked by `npm test` (and so by .ci/run): the layers of
 * docs/architecture.md. Type-only imports count too (tsPreCompilationDeps): a type is a
 * dependency on the layer that owns it.
 */
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
    {
      name: 'store-only-core',
      comment: 'src/store builds on src/core only (packages and node: modules are its job).',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: '^src/(core|store)/' },
    },
    {
      name: 'render-only-core',
      comment: 'src/render turns core data into text/HTML: it imports src/core only.',
      severity: 'error',
      from: { path: '^src/render/' },
      to: { path: '^src/', pathNot: '^src/(core|render)/' },
    },
    {
      name: 'events-only-core-store',
      comment: 'src/events (the event source under wg watch and the dashboards) reads files: it imports src/core and src/store only.',
      severity: 'error',
      from: { path: '^src/events/' },
      to: { path: '^src/', pathNot: '^src/(core|store|events)/' },
    },
    {
      name: 'compat-only-core',
      comment: "src/compat models the Rust tool's readers (what it can load): it imports only src/core.",
      severity: 'error',
      from: { path: '^src/compat/' },
      to: { path: '^src/', pathNot: '^src/(core|compat)/' },
    },
    {
      name: 'agency-not-service-or-cli',
      severity: 'error',
      from: { path: '^src/agency/' },
      to: { path: '^src/(service|cli)/' },
    },
    {
      name: 'agents-not-service-or-cli',
      severity: 'error',
      from: { path: '^src/agents/' },
      to: { path: '^src/(service|cli)/' },
    },
    {
      name: 'git-not-service-or-cli',
      comment: 'src/git (worktrees, landing) is used by the CLI and the service: it imports neither.',
      severity: 'error',
      from: { path: '^src/git/' },
      to: { path: '^src/(service|cli)/' },
    },
    {
      name: 'service-not-cli',
      severity: 'error',
      from: { path: '^src/service/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'dashboard-below-the-uis',
      comment: 'src/dashboard (the feed, the snapshot, the action interface shared by wg tui and wg serve) reads through core, store, agents, events and render; it knows no UI, no command, no service.',
      severity: 'error',
      from: { path: '^src/dashboard/' },
      to: { path: '^src/', pathNot: '^src/(core|store|agents|events|render|dashboard)/' },
    },
    {
      name: 'tui-only-dashboard',
      comment: 'src/tui draws a DashboardSource and calls DashboardActions: it imports core, render and dashboard only (actions are the CLI\'s, injected).',
      severity: 'error',
      from: { path: '^src/tui/' },
      to: { path: '^src/', pathNot: '^src/(core|render|dashboard|tui)/' },
    },
    {
      name: 'serve-only-dashboard',
      comment: 'src/serve (the HTTP server and its pages) imports core, render and dashboard only (actions are the CLI\'s, injected).',
      severity: 'error',
      from: { path: '^src/serve/' },
      to: { path: '^src/', pathNot: '^src/(core|render|dashboard|serve)/' },
    },
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
