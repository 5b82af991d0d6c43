// Per-addon-instance data: constructors that native code needs to create JS objects.
#pragma once
#include <napi.h>

namespace hextorch::binding {

struct AddonData {
  Napi::FunctionReference batchConstructor;
  Napi::FunctionReference trainerConstructor;
  Napi::FunctionReference communicatorConstructor;
  Napi::FunctionReference playerConstructor;
};

inline AddonData& addonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace hextorch::binding
