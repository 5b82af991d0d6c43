// Trainer rules that TypeScript asks for without a trainer: the precision `auto` picks
// (runtime/precision.h) and the loss and metric means of summed metrics (train/loss.h).
#pragma once
#include <napi.h>

namespace hextorch::binding {

void registerTrainRules(Napi::Env env, Napi::Object exports);

}  // namespace hextorch::binding
