// One error type for the whole core: a stable code (mapped to JS `error.code`) and a
// message that names the thing and the reason.
#pragma once
#include <stdexcept>
#include <string>

namespace hextorch {

enum class ErrorCode {
  InvalidArgument,         // wrong option or value
  InvalidRecord,           // a game record that breaks the rules of HEX.md
  CorruptData,             // checksum mismatch, truncation, bad header
  Io,                      // missing file, unwritable directory, short write
  Busy,                    // a second call while one is in flight
  NonFiniteLoss,           // training produced NaN/Inf
  Distributed,             // a rank failed, timed out or disagrees; the port is taken
  DistributedUnavailable,  // built without a c10d backend
  ResumeMismatch,          // a checkpoint made for another model or run configuration
  ShapeMismatch,           // weights that do not fit the model
  Internal,
};

const char* errorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] void throwIoError(const std::string& what, const std::string& path);

}  // namespace hextorch
