#include "train/loss.h"

namespace hextorch::train {

MetricMeans summarize(const MetricSums& s, double policyWeight, double valueWeight) {
  double policyCount = static_cast<double>(s.policyCount), samples = static_cast<double>(s.samples);
  MetricMeans m;
  m.loss = combinedLoss(policyWeight, valueWeight, s.policyLoss, policyCount, s.valueLoss, samples);
  m.policyLoss = meanOver(s.policyLoss, policyCount);
  m.valueLoss = meanOver(s.valueLoss, samples);
  m.policyAccuracy = meanOver(static_cast<double>(s.policyCorrect), policyCount);
  m.valueAccuracy = meanOver(static_cast<double>(s.valueCorrect), samples);
  return m;
}

}  // namespace hextorch::train
