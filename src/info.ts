import { native } from './native';
import { availableCores } from './options';
import { version } from './version';

export interface HextorchInfo {
  version: string;
  torchVersion: string;
  cuda: { available: boolean; deviceCount: number; devices: string[]; cudnnVersion: number | null };
  /** LibTorch's own intra-op thread count in this process (Debian's starts at 1). */
  threads: number;
  /** What a Trainer uses unless told otherwise: the cores available. */
  trainingThreads: number;
  buildType: string;
}

/** What hextorch runs on: its version, LibTorch's, CUDA devices, threads, build type. */
export function info(): HextorchInfo {
  const n = native().info();
  return {
    version,
    torchVersion: n.torchVersion,
    cuda: { available: n.cudaAvailable, deviceCount: n.cudaDeviceCount, devices: n.cudaDevices, cudnnVersion: n.cudnnVersion },
    threads: n.threads,
    trainingThreads: availableCores(),
    buildType: n.buildType,
  };
}
