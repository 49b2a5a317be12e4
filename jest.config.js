/** Jest: unit specs beside their source, integration and e2e suites under test/. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/*.int-spec.ts'],
  transform: { '^.+\\.(t|j|mj)s$': swc },
  // @kubernetes/client-node 1.x and its import chain are ESM-only: let SWC transpile them for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // Suites needing the kube/helm binaries or the image run last (see the file).
  testSequencer: '<rootDir>/test/harness/sequencer.js',
  globalSetup: '<rootDir>/test/harness/jest-global-setup.mjs',
  globalTeardown: '<rootDir>/test/harness/jest-global-teardown.mjs',
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/harness/summary-reporter.js'],
};
