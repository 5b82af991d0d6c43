// lockFile(path, content) -> fd (number) | { holder: string }; unlockFile(fd).
// Synchronous: both are a few system calls that never wait (LOCK_NB).
#include "run_lock_wrap.h"

#include "convert.h"
#include "errors.h"
#include "util/error.h"
#include "util/run_lock.h"

namespace hextorch::binding {
namespace {

Napi::Value lockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsString()) {
    throw makeError(env, {errorCodeName(ErrorCode::InvalidArgument), "lockFile expects (path, content)"});
  }
  std::string path = info[0].As<Napi::String>(), content = info[1].As<Napi::String>();
  LockResult r = translateErrors(env, [&] { return tryLockFile(path, content); });
  if (r.fd >= 0) return Napi::Number::New(env, r.fd);
  Napi::Object out = Napi::Object::New(env);
  out.Set("holder", r.holder);
  return out;
}

void unlockFile(const Napi::CallbackInfo& info) {
  if (info[0].IsNumber()) hextorch::unlockFile(info[0].As<Napi::Number>().Int32Value());
}

}  // namespace

void registerRunLock(Napi::Env env, Napi::Object exports) {
  exports.Set("lockFile", Napi::Function::New(env, lockFile, "lockFile"));
  exports.Set("unlockFile", Napi::Function::New(env, unlockFile, "unlockFile"));
}

}  // namespace hextorch::binding
