// The training loss, stated once: policyWeight × the mean policy cross-entropy (over the
// positions with a policy target) + valueWeight × the mean squared error of P(Red wins)
// (over all positions). The step differentiates it on tensors; reports take it, and the
// other means, from summed metrics (summarize). No LibTorch here: the templates work on
// torch::Tensor and on double alike.
#pragma once
#include "train/trainer.h"

namespace hextorch::train {

// A count of at least one: a mean over nothing is 0 (its sum is 0 then too).
inline double atLeastOne(double count) { return count < 1 ? 1 : count; }
template <typename Count>
Count atLeastOne(const Count& count) {
  return count.clamp_min(1);
}

template <typename Sum, typename Count>
Sum meanOver(const Sum& sum, const Count& count) {
  return sum / atLeastOne(count);
}

template <typename Sum, typename Count>
Sum combinedLoss(double policyWeight, double valueWeight, const Sum& policySum, const Count& policyCount,
                 const Sum& valueSum, double samples) {
  return policyWeight * meanOver(policySum, policyCount) + valueWeight * meanOver(valueSum, samples);
}

// Means of summed metrics, for people (mini-epoch records, validation results).
struct MetricMeans {
  double loss = 0;  // combinedLoss of the sums
  double policyLoss = 0;
  double valueLoss = 0;
  double policyAccuracy = 0;  // top-1 over positions with a policy target
  double valueAccuracy = 0;   // sign of v against the winner
};

MetricMeans summarize(const MetricSums& sums, double policyWeight, double valueWeight);

}  // namespace hextorch::train
