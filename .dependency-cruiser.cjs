/** Import-direction rules (design.md): wire ← session, rib ← core ← api ← cli/metrics. */
module.exports = {
  forbidden: [
    {
      name: 'wire-is-pure',
      comment: 'src/wire imports nothing of ours but src/util',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: { path: '^src/', pathNot: ['^src/wire/', '^src/util/'] },
    },
    {
      name: 'util-is-a-leaf',
      comment: 'src/util imports nothing else of ours',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'the CLI is an edge: nothing imports it',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
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
