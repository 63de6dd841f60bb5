#include "crashsim/fs_state.h"

#include "crashsim/fs_op.h"

namespace crashsim {

const Bytes& EmptyBytes() {
  static const Bytes kEmpty = std::make_shared<const std::string>();
  return kEmpty;
}

const EntriesPtr& EmptyEntries() {
  static const EntriesPtr kEmpty = std::make_shared<const DirEntries>();
  return kEmpty;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    i = j + 1;
  }
  return parts;
}

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kAppend: return "append";
    case OpKind::kTruncate: return "truncate";
    case OpKind::kSync: return "fsync";
    case OpKind::kLink: return "link";
    case OpKind::kUnlink: return "unlink";
    case OpKind::kRename: return "rename";
    case OpKind::kSyncDir: return "fsync-dir";
  }
  return "?";
}

const char* IoFaultName(IoFault fault) {
  switch (fault) {
    case IoFault::kNone: return "none";
    case IoFault::kNoSpace: return "ENOSPC";
    case IoFault::kIoError: return "EIO";
    case IoFault::kShortWrite: return "short-write";
  }
  return "?";
}

}  // namespace crashsim
