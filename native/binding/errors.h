// Maps core errors to JS errors with a stable `code`.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

namespace hextorch::binding {

struct ErrorInfo {
  std::string code;
  std::string message;
};

// Describes the exception being handled (call inside a catch block).
ErrorInfo describeCurrentException();
Napi::Error makeError(Napi::Env env, const ErrorInfo& info);

// Runs `f`, turning a core exception into a thrown JS error.
template <typename F>
auto translateErrors(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw makeError(env, describeCurrentException());
  }
}

}  // namespace hextorch::binding
