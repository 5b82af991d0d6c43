#!/usr/bin/env node
// The package's install step: use the prebuilt binary when it loads, and build from
// source only when it does not (node-gyp-build's own fallback runs node-gyp, which
// cannot build a CMake project).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function loads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch (error) {
    return error;
  }
}

const first = loads();
if (first === true) process.exit(0);
console.error(`hextorch: no prebuilt binary loads here (${String(first.message).split('\n')[0]}); building from source with cmake-js`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const build = spawnSync(process.execPath, [cmakeJs, 'build', '--out', 'build', '--CDHEXTORCH_BUILD_TESTS=OFF'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0 || loads() !== true) {
  console.error([
    'hextorch: building the native addon from source failed.',
    'It needs LibTorch (Debian: apt-get install libtorch-dev libopenblas0-pthread, or an installed PyTorch),',
    'cmake, a C++17 compiler and nlohmann-json3-dev. Install them and run `npm rebuild hextorch`.',
  ].join('\n'));
  process.exit(1);
}
