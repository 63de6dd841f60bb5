#include "my_log.h"

#include <cstdint>

#include "walproof/format/crc32c.h"

namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t Checksum(std::string_view length_bytes, std::string_view payload) {
  return walproof::crc32c::Extend(walproof::crc32c::Value(length_bytes), payload.data(), payload.size());
}

}  // namespace

walproof::Result<std::unique_ptr<MyLog>> MyLog::Open(walproof::Fs& fs, const std::string& dir) {
  auto kind = fs.Stat(dir);
  if (!kind.ok()) return kind.status();
  if (*kind == walproof::FileKind::kMissing) {
    WALPROOF_RETURN_IF_ERROR(fs.MakeDir(dir));
    WALPROOF_RETURN_IF_ERROR(fs.SyncDir("."));  // the new directory's own entry
  }
  const std::string path = dir + "/log";
  auto existing = fs.Stat(path);
  if (!existing.ok()) return existing.status();
  if (*existing != walproof::FileKind::kMissing) {
    auto file = fs.OpenForAppend(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<MyLog>(new MyLog(std::move(*file)));
  }
  auto file = fs.Create(path);
  if (!file.ok()) return file.status();
#ifndef MY_LOG_FORGET_DIR_FSYNC
  // Without this, a power cut can drop the file's directory entry and with it
  // every record later fsynced into the file. (The broken build forgets it.)
  WALPROOF_RETURN_IF_ERROR(fs.SyncDir(dir));
#endif
  return std::unique_ptr<MyLog>(new MyLog(std::move(*file)));
}

walproof::Status MyLog::Append(std::string_view payload) {
  std::string record;
  PutU32(&record, static_cast<uint32_t>(payload.size()));
  PutU32(&record, Checksum(std::string_view(record).substr(0, 4), payload));
  record.append(payload);
  size_t written = 0;
  WALPROOF_RETURN_IF_ERROR(file_->Append(record, &written));
  if (written != record.size()) return walproof::Status::IOError("short write to the log");
  return walproof::Status::Ok();
}

walproof::Status MyLog::Sync() { return file_->Sync(); }

walproof::Result<std::vector<std::string>> ReadMyLog(walproof::Fs& fs, const std::string& dir) {
  std::vector<std::string> records;
  auto file = fs.OpenForRead(dir + "/log");
  if (!file.ok()) {
    if (file.status().IsNotFound()) return records;
    return file.status();
  }
  std::string bytes((*file)->Size(), '\0');
  size_t got = 0;
  WALPROOF_RETURN_IF_ERROR((*file)->Read(0, bytes.size(), bytes.data(), &got));
  bytes.resize(got);
  size_t at = 0;
  while (bytes.size() - at >= 8) {
    const uint32_t length = GetU32(&bytes[at]);
    if (bytes.size() - at - 8 < length) break;
    std::string_view payload(&bytes[at + 8], length);
    if (Checksum(std::string_view(&bytes[at], 4), payload) != GetU32(&bytes[at + 4])) break;
    records.emplace_back(payload);
    at += 8 + length;
  }
  return records;
}
