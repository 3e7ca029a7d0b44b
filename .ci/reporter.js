// mocha's spec reporter, which also writes mocha's own counts as JSON to $PROCNS_TEST_STATS, so
// .ci/run reads numbers instead of grepping text.
'use strict';
const fs = require('fs');
const Mocha = require('mocha');

class CiReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.PROCNS_TEST_STATS;
      if (file) fs.writeFileSync(file, JSON.stringify(runner.stats));
    });
  }
}

module.exports = CiReporter;
