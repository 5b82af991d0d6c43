/**
 * The CPU the figures were taken on: its model and flags, as lscpu shows them (both read
 * from /proc/cpuinfo). Speed choices depend on them (AVX-512, AVX512-BF16, AMX), and the
 * machines of one kind differ, so every benchmark run prints them with its figures.
 */
import { readFileSync } from 'node:fs';

export interface CpuDescription {
  model: string;
  flags: string[];
}

export function describeCpu(): CpuDescription {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return { model: 'unknown (no /proc/cpuinfo)', flags: [] };
  }
  const field = (name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { model: field('model name') || 'unknown', flags: field('flags').split(/\s+/).filter(Boolean) };
}
