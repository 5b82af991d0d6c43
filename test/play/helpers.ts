/**
 * A real tiny checkpoint for the play tests (untrained tiny net, 7x7), written into `dir`
 * (a tempDir made at the top of the test file, so it lives until the file ends).
 */
import { join } from 'node:path';
import { Trainer } from '../../src/trainer';

export async function tinyCheckpoint(dir: string, boardSize = 7): Promise<string> {
  const path = join(dir, `tiny-${boardSize}.pt`);
  const trainer = await Trainer.create({ model: 'tiny', boardSize, device: 'cpu', threads: 1, seed: 4 });
  try {
    await trainer.saveCheckpoint(path, { test: true });
  } finally {
    trainer.dispose();
  }
  return path;
}
