/**
 * The CUDA check's parts that run without a GPU: scripts/gpu-check.sh refusing a bundle
 * made for another lock file, scripts/gpu-bundle.sh's usage, and cmake/torch-cuda-compat.cmake
 * (the NVTX targets a PyTorch 2.x CUDA package leaves missing) under the real CMake.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, tempDir } from '../helpers';

test('gpu-check.sh refuses a bundle made for another package-lock.json, before unpacking it', () => {
  const bundle = tempDir();
  writeFileSync(join(bundle, 'node.tar.xz'), 'not an archive');
  writeFileSync(join(bundle, 'MANIFEST'), 'node v20.0.0\nlock 0000000000000000000000000000000000000000000000000000000000000000\n');
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'gpu-check.sh')], { encoding: 'utf8', env: { ...process.env, GPU_BUNDLE: bundle, GPU_CHECK_CPU: '1' } });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /was made for another package-lock\.json: rerun scripts\/gpu-bundle\.sh/);
});

test('gpu-bundle.sh with an unknown option prints its usage and exits 2', () => {
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'gpu-bundle.sh'), '--bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: gpu-bundle\.sh \[--out DIR\]/);
});

const cmake = spawnSync('cmake', ['--version'], { encoding: 'utf8' }).status === 0;

test('missing NVTX targets of a CUDA LibTorch package get stand-ins, so that CMake generates', { skip: cmake ? false : 'no cmake' }, () => {
  // What a PyTorch 2.x CUDA wheel's package leaves on CUDA 13: torch_cuda links
  // torch::nvtx3 (never created outside PyTorch's source tree) and torch::nvtoolsext,
  // which links CUDA::nvToolsExt (no longer in the toolkit).
  const project = (withCompat: boolean): string => `cmake_minimum_required(VERSION 3.18)
project(mock LANGUAGES CXX)
add_library(torch_cuda INTERFACE IMPORTED)
add_library(torch::nvtoolsext INTERFACE IMPORTED)
set_property(TARGET torch::nvtoolsext PROPERTY INTERFACE_LINK_LIBRARIES CUDA::nvToolsExt)
set_property(TARGET torch_cuda PROPERTY INTERFACE_LINK_LIBRARIES torch::nvtoolsext torch::nvtx3)
${withCompat ? `include(${join(repoRoot, 'cmake', 'torch-cuda-compat.cmake')})` : ''}
file(WRITE \${CMAKE_BINARY_DIR}/m.cpp "int main() { return 0; }")
add_executable(m \${CMAKE_BINARY_DIR}/m.cpp)
target_link_libraries(m PRIVATE torch_cuda)
`;
  const configure = (withCompat: boolean) => {
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'CMakeLists.txt'), project(withCompat));
    return spawnSync('cmake', ['-S', join(dir, 'src'), '-B', join(dir, 'build')], { encoding: 'utf8' });
  };
  const without = configure(false);
  assert.notEqual(without.status, 0, 'the mock must reproduce the failure');
  assert.match(without.stderr, /CUDA::nvToolsExt|torch::nvtx3/);
  const withCompat = configure(true);
  assert.equal(withCompat.status, 0, withCompat.stdout + withCompat.stderr);
  assert.match(withCompat.stdout, /hextorch: torch::nvtx3 is not in this CUDA toolkit or LibTorch install: an empty interface library stands in/);
  assert.match(withCompat.stdout, /hextorch: CUDA::nvToolsExt is not in this CUDA toolkit/);
  assert.doesNotMatch(withCompat.stdout, /torch::nvtoolsext is not/);
});
