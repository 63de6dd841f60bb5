#include "tsdb/file_sink.h"

namespace walproof::tsdb {

namespace {
constexpr size_t kFlushBytes = 1 << 20;
}  // namespace

Result<std::unique_ptr<FileSink>> FileSink::Create(Fs& fs, const std::string& path) {
  auto file = fs.Create(path);
  if (!file.ok()) return file.status();
  return std::unique_ptr<FileSink>(new FileSink(std::move(*file), path));
}

Status FileSink::Write(std::string_view data) {
  buf_.append(data);
  offset_ += data.size();
  return buf_.size() >= kFlushBytes ? Flush() : Status::Ok();
}

Status FileSink::Flush() {
  if (buf_.empty()) return Status::Ok();
  size_t written = 0;
  WALPROOF_RETURN_IF_ERROR(file_->Append(buf_, &written));
  buf_.clear();
  return Status::Ok();
}

Status FileSink::Finish() {
  WALPROOF_RETURN_IF_ERROR(Flush());
  WALPROOF_RETURN_IF_ERROR(file_->Sync());
  return file_->Close();
}

}  // namespace walproof::tsdb
