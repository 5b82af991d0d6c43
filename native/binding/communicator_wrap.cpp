#include "communicator_wrap.h"

#include <cstring>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "promise_worker.h"
#include "util/error.h"

namespace hextorch::binding {

Napi::Function CommunicatorWrap::define(Napi::Env env) {
  return DefineClass(
      env, "NativeCommunicator",
      {InstanceMethod<&CommunicatorWrap::describe>("describe"), InstanceMethod<&CommunicatorWrap::barrier>("barrier"),
       InstanceMethod<&CommunicatorWrap::allGather>("allGather"),
       InstanceMethod<&CommunicatorWrap::allReduceSum>("allReduceSum"),
       InstanceMethod<&CommunicatorWrap::dispose>("dispose")});
}

CommunicatorWrap::CommunicatorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CommunicatorWrap>(info) {}

Napi::Value CommunicatorWrap::availability(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("available", dist::available());
  out.Set("reason", dist::unavailableReason());
  return out;
}

Napi::Value CommunicatorWrap::connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = requireObject(info, 0, "distributed options");
  dist::CommunicatorOptions options;
  options.rank = getInt(o, "rank", 0);
  options.worldSize = getInt(o, "worldSize", 1);
  options.masterAddr = getString(o, "masterAddr", options.masterAddr);
  options.masterPort = getInt(o, "masterPort", options.masterPort);
  options.timeoutMs = static_cast<int64_t>(getNumber(o, "timeoutMs", static_cast<double>(options.timeoutMs)));
  auto result = std::make_shared<std::shared_ptr<dist::Communicator>>();
  return PromiseWorker::run(
      env, [options, result] { *result = std::make_shared<dist::Communicator>(options); },
      [result](Napi::Env e) -> Napi::Value {
        Napi::Object object = addonData(e).communicatorConstructor.New({});
        Unwrap(object)->communicator_ = std::move(*result);
        return object;
      });
}

std::shared_ptr<dist::Communicator> CommunicatorWrap::unwrap(Napi::Env env, Napi::Value value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(addonData(env).communicatorConstructor.Value())) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "expected a communicator handle"});
  }
  return Unwrap(value.As<Napi::Object>())->get(env);
}

std::shared_ptr<dist::Communicator> CommunicatorWrap::get(Napi::Env env) const {
  if (!communicator_)
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "the process group was disposed"});
  return communicator_;
}

Napi::Value CommunicatorWrap::describe(const Napi::CallbackInfo& info) {
  auto c = get(info.Env());
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("rank", c->rank());
  out.Set("worldSize", c->worldSize());
  return out;
}

Napi::Value CommunicatorWrap::barrier(const Napi::CallbackInfo& info) {
  auto c = get(info.Env());
  std::string what = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "barrier";
  return PromiseWorker::run(
      info.Env(), [c, what] { c->barrier(what); }, nullptr, {}, Value());
}

Napi::Value CommunicatorWrap::allGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto c = get(env);
  if (!info[0].IsString() || !info[1].IsString()) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "allGather expects (label, value)"});
  }
  std::string label = info[0].As<Napi::String>(), value = info[1].As<Napi::String>();
  auto result = std::make_shared<std::vector<std::string>>();
  return PromiseWorker::run(
      env, [c, label, value, result] { *result = c->allGather(label, value); },
      [result](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, result->size());
        for (size_t k = 0; k < result->size(); ++k) out.Set(static_cast<uint32_t>(k), (*result)[k]);
        return out;
      },
      {}, Value());
}

Napi::Value CommunicatorWrap::allReduceSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto c = get(env);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "allReduceSum expects (Float64Array, what)"});
  }
  auto array = info[0].As<Napi::Float64Array>();
  std::string what = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "all-reduce";
  auto values = std::make_shared<std::vector<double>>(array.Data(), array.Data() + array.ElementLength());
  return PromiseWorker::run(
      env, [c, values, what] { c->allReduceSum(values->data(), values->size(), what); },
      [values](Napi::Env e) -> Napi::Value {
        auto out = Napi::Float64Array::New(e, values->size());
        std::memcpy(out.Data(), values->data(), values->size() * sizeof(double));
        return out;
      },
      {}, Value());
}

void CommunicatorWrap::dispose(const Napi::CallbackInfo&) { communicator_.reset(); }

}  // namespace hextorch::binding
