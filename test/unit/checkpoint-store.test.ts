import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeTogether } from '../../src/checkpoint-store';

test('writeTogether returns every digest under its file name', async () => {
  const digests = await writeTogether({
    'model.pt': sleep(20).then(() => ({ bytes: 10, sha256: 'a' })),
    'state.json': Promise.resolve({ bytes: 2, sha256: 'b' }),
  });
  assert.deepEqual(digests, { 'model.pt': { bytes: 10, sha256: 'a' }, 'state.json': { bytes: 2, sha256: 'b' } });
});

test('writeTogether throws a failure only once every write has ended', async () => {
  let slowEnded = false;
  const slow = sleep(50).then(() => {
    slowEnded = true;
    return { bytes: 1, sha256: 'c' };
  });
  await assert.rejects(
    writeTogether({ 'model.pt': slow, 'state.json': Promise.reject(new Error('ENOSPC: no space left on device')) }),
    (error: Error) => {
      assert.match(error.message, /ENOSPC/);
      assert.equal(slowEnded, true, 'the directory may be removed only when nothing writes into it');
      return true;
    },
  );
});
