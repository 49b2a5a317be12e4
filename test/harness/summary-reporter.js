// Ends a Jest run with one plain line, `tests: N passed, M failed, K skipped`, for tools that read the last line
// of a run. It is written when the process exits, after Jest's own summary.
//
// "failed" counts every failure Jest knows of, not only failed tests: a test file that throws while loading (or
// fails outside any test, e.g. in afterAll) counts as one failure, and so does a run error. If Jest exits without
// completing the run (e.g. globalSetup threw), the line still comes, with that one failure.
class SummaryReporter {
  constructor() {
    this.line = 'tests: 0 passed, 1 failed, 0 skipped';
    process.once('exit', () => process.stdout.write(`${this.line}\n`));
  }

  onRunComplete(_contexts, results) {
    this.line = summaryLine(results);
  }
}

/** The closing line for Jest's AggregatedResult. */
function summaryLine(results) {
  const suitesFailedOutsideTests = results.testResults.filter((suite) => suite.numFailingTests === 0 && (suite.testExecError || suite.failureMessage)).length;
  const runErrors = results.runExecError ? 1 : 0;
  const failed = results.numFailedTests + suitesFailedOutsideTests + runErrors;
  const skipped = results.numPendingTests + results.numTodoTests;
  return `tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`;
}

module.exports = SummaryReporter;
module.exports.summaryLine = summaryLine;
