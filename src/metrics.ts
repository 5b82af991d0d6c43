/** Training and validation metrics: sums from the native side, means for people. */
import type { NativeMetricSums } from './native-types';

export type MetricSums = Omit<NativeMetricSums, 'nonFiniteStep'>;

export interface Metrics {
  /** Total loss: policyWeight × policy cross-entropy + valueWeight × value MSE. */
  loss: number;
  policyLoss: number;
  valueLoss: number;
  /** Top-1 accuracy over positions with a policy target. */
  policyAccuracy: number;
  /** Sign of v against the winner. */
  valueAccuracy: number;
  samples: number;
  batches: number;
}

export function emptySums(): MetricSums {
  return { policyLossSum: 0, policyCount: 0, policyCorrect: 0, valueLossSum: 0, valueCorrect: 0, samples: 0, batches: 0 };
}

export function addSums(a: MetricSums, b: MetricSums): MetricSums {
  return {
    policyLossSum: a.policyLossSum + b.policyLossSum,
    policyCount: a.policyCount + b.policyCount,
    policyCorrect: a.policyCorrect + b.policyCorrect,
    valueLossSum: a.valueLossSum + b.valueLossSum,
    valueCorrect: a.valueCorrect + b.valueCorrect,
    samples: a.samples + b.samples,
    batches: a.batches + b.batches,
  };
}

export function summarize(s: MetricSums, weights: { policy: number; value: number }): Metrics {
  const policyLoss = s.policyCount > 0 ? s.policyLossSum / s.policyCount : 0;
  const valueLoss = s.samples > 0 ? s.valueLossSum / s.samples : 0;
  return {
    loss: weights.policy * policyLoss + weights.value * valueLoss,
    policyLoss,
    valueLoss,
    policyAccuracy: s.policyCount > 0 ? s.policyCorrect / s.policyCount : 0,
    valueAccuracy: s.samples > 0 ? s.valueCorrect / s.samples : 0,
    samples: s.samples,
    batches: s.batches,
  };
}
