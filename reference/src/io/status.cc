#include "walproof/io/status.h"

#include <cstring>

namespace walproof {

Status Status::FromErrno(int err, const std::string& context) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return NotFound(std::move(msg));
    case EEXIST: return AlreadyExists(std::move(msg));
    case ENOSPC:
    case EDQUOT: return NoSpace(std::move(msg));
    case EWOULDBLOCK: return Busy(std::move(msg));
    case EINVAL: return InvalidArgument(std::move(msg));
    default: return IOError(std::move(msg));
  }
}

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk: return "OK";
    case Code::kNotFound: return "not found: " + msg_;
    case Code::kAlreadyExists: return "already exists: " + msg_;
    case Code::kCorruption: return "corruption: " + msg_;
    case Code::kInvalidArgument: return "invalid argument: " + msg_;
    case Code::kIOError: return "I/O error: " + msg_;
    case Code::kNoSpace: return "no space: " + msg_;
    case Code::kBusy: return "busy: " + msg_;
  }
  return msg_;
}

}  // namespace walproof
