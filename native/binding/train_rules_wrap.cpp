#include "train_rules_wrap.h"

#include "convert.h"
#include "errors.h"
#include "runtime/precision.h"
#include "train/loss.h"

namespace hextorch::binding {
namespace {

// choosePrecision({ precision, cuda, cudaDevice }) -> { precision, reason, cpuBf16Flags }
Napi::Value choosePrecision(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "precision options");
  std::string option = getString(o, "precision", "auto");
  bool cuda = getBool(o, "cuda", false);
  int device = getInt(o, "cudaDevice", 0);
  auto choice = translateErrors(env, [&] { return runtime::choosePrecision(option, cuda, device); });
  auto flags = runtime::cpuBf16Flags();
  Napi::Object out = Napi::Object::New(env);
  out.Set("precision", choice.precision);
  out.Set("reason", choice.reason);
  Napi::Array list = Napi::Array::New(env, flags.size());
  for (size_t k = 0; k < flags.size(); ++k) list.Set(static_cast<uint32_t>(k), flags[k]);
  out.Set("cpuBf16Flags", list);
  return out;
}

// summarizeMetrics(sums, { policyWeight, valueWeight }) -> { loss, policyLoss, valueLoss,
// policyAccuracy, valueAccuracy }
Napi::Value summarizeMetrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = requireObject(info, 0, "metric sums");
  Napi::Object w = requireObject(info, 1, "loss weights");
  train::MetricSums sums;
  sums.policyLoss = getNumber(s, "policyLossSum", 0);
  sums.policyCount = static_cast<int64_t>(getNumber(s, "policyCount", 0));
  sums.policyCorrect = static_cast<int64_t>(getNumber(s, "policyCorrect", 0));
  sums.valueLoss = getNumber(s, "valueLossSum", 0);
  sums.valueCorrect = static_cast<int64_t>(getNumber(s, "valueCorrect", 0));
  sums.samples = static_cast<int64_t>(getNumber(s, "samples", 0));
  sums.batches = static_cast<int64_t>(getNumber(s, "batches", 0));
  train::MetricMeans m = train::summarize(sums, getNumber(w, "policyWeight", 0), getNumber(w, "valueWeight", 0));
  Napi::Object out = Napi::Object::New(env);
  out.Set("loss", m.loss);
  out.Set("policyLoss", m.policyLoss);
  out.Set("valueLoss", m.valueLoss);
  out.Set("policyAccuracy", m.policyAccuracy);
  out.Set("valueAccuracy", m.valueAccuracy);
  return out;
}

}  // namespace

void registerTrainRules(Napi::Env env, Napi::Object exports) {
  exports.Set("choosePrecision", Napi::Function::New(env, choosePrecision, "choosePrecision"));
  exports.Set("summarizeMetrics", Napi::Function::New(env, summarizeMetrics, "summarizeMetrics"));
}

}  // namespace hextorch::binding
