// MyLog: a tiny append-only log of its own, standing in for a library
// user's code. It is written against walproof::Fs (not the OS) only so that
// crashsim can record it; PosixFs runs it for real.
//
// File DIR/log holds records, each [u32 length][u32 crc32c of length and
// payload][payload], little-endian. Reading stops at the first record that
// is short or fails its checksum: that is the torn tail of a crash.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "walproof/io/fs.h"
#include "walproof/io/status.h"

class MyLog {
 public:
  // Creates DIR and DIR/log, durably, if they are missing.
  static walproof::Result<std::unique_ptr<MyLog>> Open(walproof::Fs& fs, const std::string& dir);

  walproof::Status Append(std::string_view payload);
  // Once it returns OK, every record appended before is durable.
  walproof::Status Sync();

 private:
  explicit MyLog(std::unique_ptr<walproof::WritableFile> file) : file_(std::move(file)) {}
  std::unique_ptr<walproof::WritableFile> file_;
};

// The records of DIR/log up to the first torn or damaged one; none if the
// directory or the file is missing (the log was never created).
walproof::Result<std::vector<std::string>> ReadMyLog(walproof::Fs& fs, const std::string& dir);
