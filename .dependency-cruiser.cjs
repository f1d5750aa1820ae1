/**
 * The layer rules of the design (docs/architecture.md "Layers"), checked by `npm test` (scripts/check-layers.mjs):
 * imports go downwards only — http → s3 | admin → core → iam | tenancy → metadata/store.ts | blob/store.ts —
 * lib/ and errors/ are leaves usable everywhere, s3/ and admin/ never import each other, the concrete stores
 * are constructed in app.ts alone, and cli/ and web/ share only types with the server.
 * Tests may cross layers (contract suites, fakes), so the rules judge the product code.
 */
const TEST = '\\.test\\.tsx?$|/test-helpers\\.ts$';
const below = (from, to, comment) => ({ name: `no-${from.replace(/\W+/g, '')}-to-${to.replace(/\W+/g, '')}`, severity: 'error', comment, from: { path: `^src/(${from})/`, pathNot: TEST }, to: { path: `^src/(${to})(/|\\.ts$)` } });

module.exports = {
  forbidden: [
    below('s3', 'admin', 's3/ and admin/ never import each other'),
    below('admin', 's3', 's3/ and admin/ never import each other'),
    below('s3|admin', 'http|app\\.ts|main\\.ts|cli', 'protocols are below the HTTP server and the composition root'),
    below('core', 'http|s3|admin|cli|app\\.ts|main\\.ts', 'core/ is S3 semantics without the wire: it knows no protocol'),
    below('iam|tenancy', 'core|http|s3|admin|cli|app\\.ts|main\\.ts', 'iam/ and tenancy/ are below core/'),
    below('iam', 'tenancy', 'tenancy/ builds on iam/ (memberships, grants), not the other way round'),
    below('metadata|blob', 'core|iam|tenancy|http|s3|admin|cli|app\\.ts|main\\.ts', 'the stores speak storage, not S3 or identities'),
    below('lib|errors', 'http|s3|admin|core|iam|tenancy|metadata|blob|cli|app\\.ts|main\\.ts', 'lib/ and errors/ are leaves'),
    below('config', 'http|s3|admin|core|tenancy|metadata|blob|cli|app\\.ts|main\\.ts', 'config/ is read by everything and reads only leaves (and address parsing)'),
    {
      name: 'concrete-stores-in-app-only',
      severity: 'error',
      comment: 'embedded and scale-out modes differ only in what app.ts constructs (the migration tool opens both stores)',
      from: { path: '^src/', pathNot: `${TEST}|^src/app\\.ts$|^src/metadata/migrate-to-postgres\\.ts$|^src/metadata/(sqlite|postgres)/|^src/blob/fs/` },
      to: { path: '^src/(metadata/(sqlite|postgres)|blob/fs)/' },
    },
    {
      name: 'cli-talks-http',
      severity: 'error',
      comment: 'cli/ is a client of the admin API: it shares its contract and leaf helpers (migrate is a local offline command)',
      from: { path: '^src/cli/', pathNot: `${TEST}|^src/cli/migrate\\.ts$` },
      to: { path: '^src/', pathNot: '^src/(cli/|lib/|admin/(contract|session-contract|api-client)\\.ts$)' },
    },
    {
      name: 'web-shares-types-only',
      severity: 'error',
      comment: 'the portal talks HTTP: it imports the admin contract types and the typed API client only',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/admin/(contract|session-contract|api-client)\\.ts$' },
    },
    {
      name: 'web-contract-types-only',
      severity: 'error',
      comment: 'no server code reaches the browser bundle through the contract: type imports only',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/admin/api-client\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'api-client-shares-types-only',
      severity: 'error',
      comment: 'the typed admin API client runs in the CLI and the browser: it needs the contract types and nothing else',
      from: { path: '^src/admin/api-client\\.ts$' },
      to: { dependencyTypesNot: ['type-only'] },
    },
    { name: 'no-circular-layers', severity: 'error', comment: 'a cycle across folders hides a layer break', from: { path: '^src/([^/]+)/', pathNot: TEST }, to: { circular: true, path: '^src/', pathNot: '^src/$1/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
