// Registers the run-directory lock functions (util/run_lock.h) on the addon's exports.
#pragma once
#include <napi.h>

namespace hextorch::binding {
void registerRunLock(Napi::Env env, Napi::Object exports);
}
