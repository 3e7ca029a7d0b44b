// StrykerJS on procfs/ (issue 15 part 4): `npm run mutate`, per file `npm run mutate -- --mutate procfs/base.ts`.
// Kept out of `npm test`: it runs the test command once per mutant (minutes, not seconds).
//
// Why this setup, on Node 20:
// - StrykerJS 10 needs Node 22, so 9.6.x. Its mocha runner declares a peer dependency on
//   mocha < 12 and this repository has mocha 12; satisfying it would mean patching node_modules or
//   forcing the install. The command runner needs no runner plugin at all: each mutant is one run
//   of the mocha command below, the mutant chosen by __STRYKER_ACTIVE_MUTANT__ in its environment.
// - The TypeScript sources are mutated, not dist/: a mutant is a line of procfs/*.ts, and there is
//   no compiler-generated code (module wrappers, export assignments) to count or to excuse.
//   The sandbox builds them once with tsc (buildCommand); instrumented files are type-unchecked
//   (disableTypeChecks), as their mutant switches are not well typed.
// - The command runs the tests that exercise procfs and finish in seconds: test/procfs, the
//   kernel tests but the torture test, and the scenarios (regressions included). The property
//   campaigns and the torture test take minutes and would multiply by the number of mutants.
//   --bail stops a run at the first failure, which is all a killed mutant needs.
// - The command runner has no per-test coverage, so there is no "no coverage" class: every mutant
//   runs the whole command. concurrency 1: the CI machine has 2 cores.
// Equivalent mutants, each with its reason: docs/mutation.md.
const tests = [
  'dist/test/procfs/*.test.js',
  'dist/test/kernel/*.test.js',
  'dist/test/scenarios.test.js',
];

export default {
  packageManager: 'npm',
  mutate: ['procfs/**/*.ts'],
  testRunner: 'command',
  commandRunner: {
    command: `node node_modules/mocha/bin/mocha.js --no-config --bail --reporter dot --timeout 20000 --ignore dist/test/kernel/torture.test.js ${tests.map((t) => `'${t}'`).join(' ')}`,
  },
  buildCommand: 'tsc -p .',
  disableTypeChecks: 'procfs/**/*.ts',
  coverageAnalysis: 'off',
  concurrency: 1,
  ignorePatterns: ['dist', 'dist-scratch', 'scratch', 'coverage', 'reports', 'oracle/linux/procns-helper'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportMutants: false },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
};
