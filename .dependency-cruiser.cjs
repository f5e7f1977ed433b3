/**
 * Import-direction rules (design.md): wire ← session, rib, policy ← core ← api ← cli/metrics.
 * src/route (the shared route model) sits beside wire; util is a leaf. One rule per direction, so a
 * forbidden import names the direction it breaks.
 */
const layer = (dir) => `^src/${dir}/`;
const any = (...dirs) => `^src/(${dirs.join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'wire-is-pure',
      comment: 'src/wire imports nothing of ours but src/util',
      severity: 'error',
      from: { path: layer('wire') },
      to: { path: '^src/', pathNot: any('wire', 'util') },
    },
    {
      name: 'util-is-a-leaf',
      comment: 'src/util imports nothing else of ours',
      severity: 'error',
      from: { path: layer('util') },
      to: { path: '^src/', pathNot: layer('util') },
    },
    {
      name: 'route-model-is-shared',
      comment: 'src/route (PeerInfo, RouteAttrs) is what rib and policy share: it imports only wire and util',
      severity: 'error',
      from: { path: layer('route') },
      to: { path: '^src/', pathNot: any('route', 'wire', 'util') },
    },
    {
      name: 'session-below-core',
      comment:
        'src/session speaks BGP over sockets: wire, util and config only, never the RIB, policy, FIB or core',
      severity: 'error',
      from: { path: layer('session') },
      to: { path: '^src/', pathNot: any('session', 'wire', 'util', 'config') },
    },
    {
      name: 'rib-never-imports-session-or-fib',
      comment: 'src/rib is data and decisions: no sessions, no kernel',
      severity: 'error',
      from: { path: layer('rib') },
      to: { path: any('session', 'fib') },
    },
    {
      name: 'policy-never-imports-rib',
      comment: 'policy reads the shared route model (src/route), not the RIB',
      severity: 'error',
      from: { path: layer('policy') },
      to: { path: layer('rib') },
    },
    {
      name: 'rib-policy-fib-below-core',
      comment: 'rib, policy and fib never import the core or what sits on it',
      severity: 'error',
      from: { path: any('rib', 'policy', 'fib', 'route') },
      to: { path: any('core', 'api', 'metrics', 'cli', 'session') },
    },
    {
      name: 'core-below-api',
      comment: 'the core knows nothing of its adapters (api, metrics, cli)',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: any('api', 'metrics', 'cli') },
    },
    {
      name: 'api-below-adapters',
      comment: 'the api is what metrics and cli use; it uses neither',
      severity: 'error',
      from: { path: layer('api') },
      to: { path: any('metrics', 'cli') },
    },
    {
      name: 'api-uses-speaker-queries',
      comment: 'the api reads the speaker through its query methods, not the RIB or the sessions inside it',
      severity: 'error',
      from: { path: layer('api') },
      to: { path: any('rib', 'session') },
    },
    {
      name: 'metrics-through-api',
      comment: 'metrics collect from api snapshots only (design.md: metrics ← api)',
      severity: 'error',
      from: { path: layer('metrics') },
      to: { path: any('core', 'rib', 'session', 'fib', 'policy', 'route') },
    },
    {
      name: 'cli-through-api',
      comment: 'the cli reaches the daemon only through src/api (and its own formatters)',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: any('core', 'rib', 'session', 'fib', 'policy', 'route') },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'the CLI is an edge: nothing imports it',
      severity: 'error',
      from: { pathNot: layer('cli') },
      to: { path: layer('cli') },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
