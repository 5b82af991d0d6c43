// JS handle for a BatchStream: next() resolves with the next Batch off the JS thread.
#pragma once
#include <napi.h>

#include <memory>

#include "data/batch_stream.h"

namespace hextorch::binding {

class DataLoaderWrap : public Napi::ObjectWrap<DataLoaderWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit DataLoaderWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value next(const Napi::CallbackInfo& info);
  Napi::Value tryNext(const Napi::CallbackInfo& info);
  Napi::Value cursor(const Napi::CallbackInfo& info);
  void seek(const Napi::CallbackInfo& info);
  Napi::Value describe(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);
  std::shared_ptr<data::BatchStream> get(Napi::Env env) const;

  std::shared_ptr<data::BatchStream> stream_;
  bool busy_ = false;
};

}  // namespace hextorch::binding
