/**
 * Import rules of station-agent (issue 15), checked in `npm test` by
 * tests/unit/architecture/importRules.test.ts (the real tree has no violation; a fixture tree with
 * one wrong import of each kind has exactly those). docs/architecture.md draws the layers.
 * Paths are relative to the directory depcruise runs in (the repository root).
 */

/** Product code: what tsconfig.build.json compiles and scripts/install.sh ships. */
const PRODUCT = '^(agent|drivers)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles: a cycle makes two modules one, and its load order fragile.',
      severity: 'error',
      from: { path: '^(agent|drivers|scripts)/' },
      to: { circular: true },
    },
    {
      name: 'drivers-only-contract',
      comment:
        'drivers/ is the protocol layer: it imports the contract (agent/core) and other drivers only, never the rest of the agent; each driver declares the settings it runs with (e.g. drivers/serial/lineSettings.ts) and the config satisfies them.',
      severity: 'error',
      from: { path: '^drivers/' },
      to: { path: '^(agent|scripts|tests)/', pathNot: '^agent/core/' },
    },
    {
      name: 'serial-is-a-transport',
      comment: 'drivers/serial carries bytes for the protocols above it (modbus, ascii): it imports none of them.',
      severity: 'error',
      from: { path: '^drivers/serial/' },
      to: { path: '^drivers/', pathNot: '^drivers/serial/' },
    },
    {
      name: 'drivers-not-each-other',
      comment: 'Protocol plugins do not import each other; each may use the serial transport (whose own rule is serial-is-a-transport).',
      severity: 'error',
      from: { path: '^drivers/([^/]+)/', pathNot: '^drivers/serial/' },
      to: { path: '^drivers/([^/]+)/', pathNot: ['^drivers/$1/', '^drivers/serial/'] },
    },
    {
      name: 'core-imports-nothing-of-ours',
      comment: 'agent/core is the contract every layer builds on: it imports only itself and packages.',
      severity: 'error',
      from: { path: '^agent/core/' },
      to: { path: '^(agent|drivers|scripts|tests|config)/', pathNot: '^agent/core/' },
    },
    {
      name: 'store-below-uplinks',
      comment:
        'The store keeps data; it imports no uplink, driver, aggregation, acquisition, HTTP, CLI or composition-root code (uplinks decide their own bounds through their plugins).',
      severity: 'error',
      from: { path: '^agent/store/' },
      to: { path: '^(drivers/|agent/(uplink|aggregation|acquisition|app|http|cli|quality|audit)/)' },
    },
    {
      name: 'sql-behind-the-store',
      comment: 'No SQL outside agent/store: only the store opens or queries the database (type imports of a handle are fine).',
      severity: 'error',
      from: { path: PRODUCT, pathNot: '^agent/store/' },
      to: { path: 'node_modules/better-sqlite3/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'uplink-plugins-not-each-other',
      comment: 'The HJ 212 uplink (agent/uplink/hj212/) and the MQTT uplink (agent/uplink/mqtt*.ts) do not import each other.',
      severity: 'error',
      from: { path: '^agent/uplink/hj212/' },
      to: { path: '^agent/uplink/mqtt[^/]*\\.ts$' },
    },
    {
      name: 'mqtt-not-hj212',
      comment: 'The MQTT uplink does not import the HJ 212 uplink.',
      severity: 'error',
      from: { path: '^agent/uplink/mqtt[^/]*\\.ts$' },
      to: { path: '^agent/uplink/hj212/' },
    },
    {
      name: 'product-not-tools-or-tests',
      comment: 'The shipped agent never imports the tools (scripts/) or the tests.',
      severity: 'error',
      from: { path: PRODUCT },
      to: { path: '^(scripts|tests)/' },
    },
    {
      name: 'tools-not-tests',
      comment: 'Tools do not import tests: what both need lives in scripts/support/.',
      severity: 'error',
      from: { path: '^scripts/' },
      to: { path: '^tests/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
