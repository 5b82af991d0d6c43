/** Training and validation metrics: sums from the native side, added here; means (the loss among them) from the native side. */
import { native } from './native';
import type { NativeMetricSums } from './native-types';

export type MetricSums = Omit<NativeMetricSums, 'nonFiniteStep'>;

export interface Metrics {
  /** The training loss (stated in the native core, train/loss.h), of these means. */
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

/** Means of summed metrics. The loss formula lives in the native core (train/loss.h) only. */
export function summarize(s: MetricSums, weights: { policy: number; value: number }): Metrics {
  const means = native().summarizeMetrics(s, { policyWeight: weights.policy, valueWeight: weights.value });
  return { ...means, samples: s.samples, batches: s.batches };
}
