// Jest test order: Jest's own (failed first, then slowest first), except that the suites which need a harness
// binary built from source (kube-apiserver, helm) or the container image run last. On a cold machine .ci/run builds
// those in the background (scripts/warm-caches.mjs) while the other suites run; the late suites then find them
// ready, or wait for the builder through the build lock. With warm caches the order costs nothing.
const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

const BUILT = /harness\/(kube|helm)\b|kube-fixtures|chart-helpers|scripts\/image\//;
const BUILT_PATH = /[\\/]test[\\/](chart|image)[\\/]/;

function needsBuiltTools(path) {
  if (BUILT_PATH.test(path)) return true;
  try {
    return BUILT.test(readFileSync(path, 'utf8'));
  } catch {
    return false;
  }
}

class BuiltToolsLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => !needsBuiltTools(t.path)), ...sorted.filter((t) => needsBuiltTools(t.path))];
  }
}

module.exports = BuiltToolsLastSequencer;
