import { info } from '../../info';
import { parse } from '../args';

const USAGE = 'Usage: hextorch info [--json]';

export async function infoCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } }, USAGE);
  const i = info();
  if (values.json) {
    console.log(JSON.stringify(i, null, 2));
    return 0;
  }
  console.log(`hextorch ${i.version}`);
  console.log(`LibTorch ${i.torchVersion} (${i.buildType} build)`);
  console.log(`CUDA: ${i.cuda.available ? `${i.cuda.deviceCount} device(s): ${i.cuda.devices.join(', ') || 'unnamed'}` : 'not available'}`);
  console.log(`cuDNN: ${i.cuda.cudnnVersion ?? 'none'}`);
  const p = i.autoPrecision;
  console.log(`precision: auto picks ${p.cpu.precision} on the CPU (${p.cpu.reason})`);
  if (p.cuda) console.log(`precision: auto picks ${p.cuda.precision} on CUDA (${p.cuda.reason})`);
  console.log(`threads: LibTorch starts with ${i.threads}; a Trainer uses ${i.trainingThreads} (the cores available) unless given --threads`);
  console.log(`OpenMP waiting: ${i.openMpWait.description}`);
  console.log(`malloc arenas: ${i.mallocArenas.description}`);
  return 0;
}
