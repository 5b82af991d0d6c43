// JS side of native/core/play: players (NativePlayer), matches (NativeMatch), network
// evaluation and the shared input-plane encoding. Registered by addon.cpp.
#pragma once
#include <napi.h>

namespace hextorch::binding {

void registerPlay(Napi::Env env, Napi::Object exports);

}  // namespace hextorch::binding
