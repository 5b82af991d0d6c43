#include "errors.h"

#include "util/error.h"

namespace hextorch::binding {

ErrorInfo describeCurrentException() {
  try {
    throw;
  } catch (const Error& e) {
    return {errorCodeName(e.code()), e.what()};
  } catch (const std::exception& e) {
    return {errorCodeName(ErrorCode::Internal), e.what()};
  } catch (...) {
    return {errorCodeName(ErrorCode::Internal), "unknown native error"};
  }
}

Napi::Error makeError(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("code", Napi::String::New(env, info.code));
  return error;
}

}  // namespace hextorch::binding
