// JS handle for a dist::Communicator (a c10d process group). Connecting and every
// collective run off the JS thread and return Promises.
#pragma once
#include <napi.h>

#include <memory>

#include "dist/communicator.h"

namespace hextorch::binding {

class CommunicatorWrap : public Napi::ObjectWrap<CommunicatorWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // connectDistributed({ rank, worldSize, masterAddr, masterPort, timeoutMs }) → Promise<handle>
  static Napi::Value connect(const Napi::CallbackInfo& info);
  // distributedAvailable() → { available, reason }
  static Napi::Value availability(const Napi::CallbackInfo& info);
  static std::shared_ptr<dist::Communicator> unwrap(Napi::Env env, Napi::Value value);
  explicit CommunicatorWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value describe(const Napi::CallbackInfo& info);
  Napi::Value barrier(const Napi::CallbackInfo& info);
  Napi::Value allGather(const Napi::CallbackInfo& info);
  Napi::Value allReduceSum(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<dist::Communicator> get(Napi::Env env) const;

  std::shared_ptr<dist::Communicator> communicator_;
};

}  // namespace hextorch::binding
