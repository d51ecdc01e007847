#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is bundled by `npm run build` into dist/cli.js.
const path = require('path');
const fs = require('fs');
const bundled = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundled)) {
  process.stderr.write('opplace: not built yet — run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(bundled).main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
