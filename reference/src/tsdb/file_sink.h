// FileSink: a file being written through Fs, with its own offset and a
// buffer, so that the block writers make one Append per megabyte instead of
// one per field (every Append is one operation crashsim records).
// Private to src/tsdb.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "walproof/io/fs.h"

namespace walproof::tsdb {

class FileSink {
 public:
  static Result<std::unique_ptr<FileSink>> Create(Fs& fs, const std::string& path);

  // Bytes handed to Write so far: the file offset of the next one.
  uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }
  Status Write(std::string_view data);
  // Flushes, fsyncs and closes.
  Status Finish();

 private:
  FileSink(std::unique_ptr<WritableFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)) {}
  Status Flush();

  std::unique_ptr<WritableFile> file_;
  std::string path_;
  std::string buf_;
  uint64_t offset_ = 0;
};

}  // namespace walproof::tsdb
