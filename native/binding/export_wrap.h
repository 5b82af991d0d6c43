// exportGraph / exportStateDict: a checkpoint's network out of hextorch (ONNX graph for
// the TypeScript ONNX writer, PyTorch state dict file).
#pragma once
#include <napi.h>

namespace hextorch::binding {

void registerExport(Napi::Env env, Napi::Object exports);

}  // namespace hextorch::binding
