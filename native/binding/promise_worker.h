// Runs a job on the libuv pool and settles a Promise with its result. JS values are
// built only on the JS thread (in `resolve`); the receiver object is kept alive until
// the job is done.
#pragma once
#include <napi.h>

#include <functional>

#include "errors.h"

namespace hextorch::binding {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;
  using Done = std::function<void()>;

  static Napi::Promise run(Napi::Env env, Work work, Resolve resolve, Done done = {},
                           Napi::Object keepAlive = Napi::Object()) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(resolve), std::move(done), keepAlive);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (...) {
      error_ = describeCurrentException();
      SetError(error_.message);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    finish();
    try {
      deferred_.Resolve(resolve_ ? resolve_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error&) override {
    finish();
    deferred_.Reject(makeError(Env(), error_).Value());
  }

 private:
  PromiseWorker(Napi::Env env, Work work, Resolve resolve, Done done, Napi::Object keepAlive)
      : Napi::AsyncWorker(env, "hextorch"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        resolve_(std::move(resolve)),
        done_(std::move(done)) {
    if (!keepAlive.IsEmpty()) keepAlive_ = Napi::Persistent(keepAlive);
  }

  void finish() {
    if (done_) done_();
    if (!keepAlive_.IsEmpty()) keepAlive_.Reset();
  }

  Napi::Promise::Deferred deferred_;
  Work work_;
  Resolve resolve_;
  Done done_;
  Napi::ObjectReference keepAlive_;
  ErrorInfo error_;
};

}  // namespace hextorch::binding
