#!/usr/bin/env node
'use strict';
require('../dist/cli/v8.js').tuneV8();
require('../dist/cli/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
