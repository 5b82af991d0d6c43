// JS handle for a collated batch; the tensors' memory stays in C++.
#pragma once
#include <napi.h>

#include <memory>

#include "data/batch.h"

namespace hextorch::binding {

class BatchWrap : public Napi::ObjectWrap<BatchWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  static Napi::Object create(Napi::Env env, std::shared_ptr<data::Batch> batch);
  // The batch behind a JS handle; throws a JS error for a disposed or foreign value.
  static std::shared_ptr<data::Batch> unwrap(Napi::Env env, Napi::Value value);

  explicit BatchWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value size(const Napi::CallbackInfo& info);
  Napi::Value boardSize(const Napi::CallbackInfo& info);
  Napi::Value epoch(const Napi::CallbackInfo& info);
  Napi::Value index(const Napi::CallbackInfo& info);
  Napi::Value toArrays(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  const data::Batch& get(Napi::Env env) const;

  std::shared_ptr<data::Batch> batch_;
};

}  // namespace hextorch::binding
