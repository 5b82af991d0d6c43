/**
 * Fault injection for crash tests: HEXTORCH_FAULT=<point>:<n> makes the process kill
 * itself with SIGKILL the n-th time it reaches <point>. Unset, this does nothing.
 * Points: train-step, validation, checkpoint-write, mini-epoch-end. With
 * HEXTORCH_FAULT_RANK=<r>, only the data-parallel rank r (RANK) does.
 */
const onlyRank = process.env.HEXTORCH_FAULT_RANK;
const spec = onlyRank === undefined || onlyRank === (process.env.RANK ?? '0') ? process.env.HEXTORCH_FAULT : undefined;
const [faultName, faultCountText] = spec ? spec.split(':') : [];
const faultCount = Number(faultCountText ?? '1');
let reached = 0;

export function faultPoint(name: 'train-step' | 'validation' | 'checkpoint-write' | 'mini-epoch-end'): void {
  if (name !== faultName) return;
  reached++;
  if (reached === faultCount) process.kill(process.pid, 'SIGKILL');
}
