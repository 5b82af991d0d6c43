/** The player settings that `match` and `gtp` read from the same flags. */
import type { PlayerSettings } from '../play/players';
import { numberFlag, stringFlag } from './args';

export function playerSettingsFromFlags(values: Record<string, unknown>): PlayerSettings {
  return {
    playouts: numberFlag(values, 'playouts'),
    seconds: numberFlag(values, 'seconds'),
    batch: numberFlag(values, 'batch'),
    temperature: numberFlag(values, 'temperature'),
    seed: numberFlag(values, 'seed'),
    threads: numberFlag(values, 'threads'),
    device: stringFlag(values, 'device'),
  };
}
