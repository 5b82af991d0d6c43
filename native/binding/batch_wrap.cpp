#include "batch_wrap.h"

#include <cstring>

#include "addon_data.h"
#include "errors.h"
#include "util/error.h"

namespace hextorch::binding {

Napi::Function BatchWrap::define(Napi::Env env) {
  return DefineClass(
      env, "NativeBatch",
      {InstanceAccessor<&BatchWrap::size>("size"), InstanceAccessor<&BatchWrap::boardSize>("boardSize"),
       InstanceAccessor<&BatchWrap::epoch>("epoch"), InstanceAccessor<&BatchWrap::index>("index"),
       InstanceMethod<&BatchWrap::toArrays>("toArrays"), InstanceMethod<&BatchWrap::dispose>("dispose")});
}

BatchWrap::BatchWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BatchWrap>(info) {}

Napi::Object BatchWrap::create(Napi::Env env, std::shared_ptr<data::Batch> batch) {
  Napi::Object object = addonData(env).batchConstructor.New({});
  Unwrap(object)->batch_ = std::move(batch);
  return object;
}

std::shared_ptr<data::Batch> BatchWrap::unwrap(Napi::Env env, Napi::Value value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addonData(env).batchConstructor.Value())) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "expected a Batch from a DataLoader"});
  }
  auto batch = Unwrap(value.As<Napi::Object>())->batch_;
  if (!batch) throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "the batch was disposed"});
  return batch;
}

const data::Batch& BatchWrap::get(Napi::Env env) const {
  if (!batch_) throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "the batch was disposed"});
  return *batch_;
}

Napi::Value BatchWrap::size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), get(info.Env()).size);
}
Napi::Value BatchWrap::boardSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), get(info.Env()).boardSize);
}
Napi::Value BatchWrap::epoch(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(get(info.Env()).epoch));
}
Napi::Value BatchWrap::index(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(get(info.Env()).index));
}

Napi::Value BatchWrap::toArrays(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const data::Batch& b = get(env);
  auto planes = Napi::Float32Array::New(env, b.planes.size());
  std::memcpy(planes.Data(), b.planes.data(), b.planes.size() * sizeof(float));
  auto policy = Napi::Int32Array::New(env, b.policy.size());
  for (size_t i = 0; i < b.policy.size(); ++i) policy[i] = static_cast<int32_t>(b.policy[i]);
  auto value = Napi::Float32Array::New(env, b.value.size());
  std::memcpy(value.Data(), b.value.data(), b.value.size() * sizeof(float));
  Napi::Object out = Napi::Object::New(env);
  out.Set("planes", planes);
  out.Set("policy", policy);
  out.Set("value", value);
  return out;
}

void BatchWrap::dispose(const Napi::CallbackInfo&) { batch_.reset(); }

}  // namespace hextorch::binding
