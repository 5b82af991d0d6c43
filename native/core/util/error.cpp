#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace hextorch {

const char* errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "HEXTORCH_INVALID_ARGUMENT";
    case ErrorCode::InvalidRecord:
      return "HEXTORCH_INVALID_RECORD";
    case ErrorCode::CorruptData:
      return "HEXTORCH_CORRUPT_DATA";
    case ErrorCode::Io:
      return "HEXTORCH_IO";
    case ErrorCode::Busy:
      return "HEXTORCH_BUSY";
    case ErrorCode::NonFiniteLoss:
      return "HEXTORCH_NON_FINITE_LOSS";
    case ErrorCode::Distributed:
      return "HEXTORCH_DISTRIBUTED";
    case ErrorCode::DistributedUnavailable:
      return "HEXTORCH_DISTRIBUTED_UNAVAILABLE";
    case ErrorCode::ResumeMismatch:
      return "HEXTORCH_RESUME_MISMATCH";
    case ErrorCode::ShapeMismatch:
      return "HEXTORCH_SHAPE_MISMATCH";
    case ErrorCode::Internal:
      return "HEXTORCH_INTERNAL";
  }
  return "HEXTORCH_INTERNAL";
}

void throwIoError(const std::string& what, const std::string& path) {
  throw Error(ErrorCode::Io, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace hextorch
