import { native, openMpWaitAtLoad } from './native';
import { describeMallocArenas, type MallocArenas } from './malloc-arenas';
import { describeOpenMpWait, type OpenMpWait } from './openmp-wait';
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
  /**
   * What `precision: 'auto'` picks here, and why: on the CPU, and on CUDA device 0 when
   * there is one. cpuBf16Flags: the CPU's native bf16 instruction sets found.
   */
  autoPrecision: { cpuBf16Flags: string[]; cpu: PrecisionChoice; cuda: PrecisionChoice | null };
  /** How LibTorch's OpenMP threads wait between parallel regions, and who chose it (src/openmp-wait.ts). */
  openMpWait: OpenMpWait;
  /** glibc's malloc arena limit, and who chose it (src/malloc-arenas.ts). */
  mallocArenas: MallocArenas;
}

export interface PrecisionChoice {
  precision: 'fp32' | 'bf16';
  reason: string;
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
    autoPrecision: autoPrecision(n.cudaAvailable),
    openMpWait: describeOpenMpWait({ waitPolicy: n.ompWaitPolicy, spinCount: n.gompSpinCount }, openMpWaitAtLoad.due, openMpWaitAtLoad.preloaded),
    mallocArenas: describeMallocArenas(n.mallocArenas),
  };
}

function autoPrecision(cuda: boolean): HextorchInfo['autoPrecision'] {
  const cpu = native().choosePrecision({ precision: 'auto', cuda: false });
  const onCuda = cuda ? native().choosePrecision({ precision: 'auto', cuda: true, cudaDevice: 0 }) : null;
  return {
    cpuBf16Flags: cpu.cpuBf16Flags,
    cpu: { precision: cpu.precision, reason: cpu.reason },
    cuda: onCuda ? { precision: onCuda.precision, reason: onCuda.reason } : null,
  };
}
