// Deliberately broken variants of the reference, one per classic
// crash-consistency bug. selftest runs the scenarios against each and must
// catch every one; a simulator that passes them all would prove nothing.
#include <algorithm>
#include <cstring>

#include "crashsim/forwarding_fs.h"
#include "crashsim/model_head.h"
#include "crashsim/variants.h"
#include "walproof/format/crc32c.h"
#include "walproof/format/record_codec.h"
#include "walproof/wal/repair.h"
#include "walproof/wal/segment_reader.h"
#include "walproof/wal/wal_dir.h"
#include "walproof/wal/wal_reader.h"

namespace crashsim {
namespace {

using walproof::Fs;
using walproof::Status;
using walproof::WritableFile;

// --- skip-file-fsync: fsync of a file does nothing and reports success.
class NoSyncFile final : public ForwardingFile {
 public:
  using ForwardingFile::ForwardingFile;
  Status Sync() override { return Status::Ok(); }
};
class NoFileSyncFs final : public ForwardingFs {
 public:
  using ForwardingFs::ForwardingFs;

 protected:
  std::unique_ptr<WritableFile> WrapFile(const std::string&, std::unique_ptr<WritableFile> f) override {
    return std::make_unique<NoSyncFile>(std::move(f));
  }
};

// --- skip-dir-fsync: fsync of a directory does nothing and reports success.
class NoDirSyncFs final : public ForwardingFs {
 public:
  using ForwardingFs::ForwardingFs;
  Status SyncDir(const std::string&) override { return Status::Ok(); }
};

// --- header-before-payload: the last fragment of every write goes out
// without its payload, which follows with the next write; an fsync in
// between makes the header durable and acknowledges a record whose payload
// is not on disk yet.
class HeaderFirstFile final : public ForwardingFile {
 public:
  using ForwardingFile::ForwardingFile;
  Status Append(std::string_view data, size_t* written) override {
    std::string all = held_ + std::string(data);
    const uint64_t start = base().Size();
    uint64_t last_payload = all.size();
    ForEachFragment(all, start, [&](uint64_t p, uint8_t, uint64_t) {
      last_payload = p + walproof::kFragmentHeaderSize;
      return true;
    });
    size_t w = 0;
    Status st = base().Append(std::string_view(all).substr(0, last_payload), &w);
    *written = st.ok() ? data.size() : 0;
    if (st.ok()) held_ = all.substr(last_payload);
    return st;
  }
  Status Truncate(uint64_t size) override {
    held_.clear();
    return base().Truncate(size);
  }
  Status Close() override {
    Flush();
    return base().Close();
  }
  uint64_t Size() const override { return base().Size() + held_.size(); }

 private:
  void Flush() {
    size_t w = 0;
    if (!held_.empty() && base().Append(held_, &w).ok()) held_.clear();
  }
  std::string held_;
};
class HeaderFirstFs final : public ForwardingFs {
 public:
  using ForwardingFs::ForwardingFs;

 protected:
  std::unique_ptr<WritableFile> WrapFile(const std::string&, std::unique_ptr<WritableFile> f) override {
    return std::make_unique<HeaderFirstFile>(std::move(f));
  }
};

// --- ignore-crc: the reader sees every fragment with a CRC that matches its
// payload as read: a reader that does not check checksums.
class RechecksummedFile final : public walproof::ReadableFile {
 public:
  explicit RechecksummedFile(std::string data) : data_(std::move(data)) {
    const uint64_t padded = (data_.size() + walproof::kPageSize - 1) / walproof::kPageSize * walproof::kPageSize;
    std::string view = data_;
    view.resize(padded, '\0');  // what the reader sees past the end
    ForEachFragment(view, 0, [&](uint64_t p, uint8_t, uint64_t len) {
      if (p + walproof::kFragmentHeaderSize > data_.size()) return false;
      uint32_t crc = walproof::crc32c::Value(std::string_view(view).substr(p + walproof::kFragmentHeaderSize, len));
      for (int i = 0; i < 4; ++i) data_[p + 3 + i] = static_cast<char>(crc >> (24 - 8 * i));
      return true;
    });
  }
  Status Read(uint64_t offset, size_t n, char* buf, size_t* got) const override {
    *got = offset >= data_.size() ? 0 : std::min<uint64_t>(n, data_.size() - offset);
    if (*got) std::memcpy(buf, data_.data() + offset, *got);
    return Status::Ok();
  }
  uint64_t Size() const override { return data_.size(); }

 private:
  std::string data_;
};
class IgnoreCrcFs final : public ForwardingFs {
 public:
  using ForwardingFs::ForwardingFs;
  walproof::Result<std::unique_ptr<walproof::ReadableFile>> OpenForRead(const std::string& path) override {
    std::string data;
    Status st = walproof::ReadWholeFile(base(), path, &data);
    if (!st.ok()) return st;
    return std::unique_ptr<walproof::ReadableFile>(new RechecksummedFile(std::move(data)));
  }
};

template <typename FsType, bool kWorkload, bool kRecovery>
class FsVariant final : public Variant {
 public:
  FsVariant(std::string name, std::string description) : name_(std::move(name)), description_(std::move(description)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::unique_ptr<Fs> WrapWorkloadFs(Fs& fs) override { return kWorkload ? std::make_unique<FsType>(fs) : nullptr; }
  std::unique_ptr<Fs> WrapRecoveryFs(Fs& fs) override { return kRecovery ? std::make_unique<FsType>(fs) : nullptr; }

 private:
  std::string name_, description_;
};

// --- repair-drops-record: the reference repair, then the last record it
// kept in the repaired segment is cut off as well.
class DropRecordRepair final : public Variant {
 public:
  std::string name() const override { return "repair-drops-record"; }
  std::string description() const override { return "repair that also drops the last good record before the cut"; }
  Status Repair(Fs& fs, const std::string& dir, walproof::DurabilityProtocol protocol, bool* wrote) override {
    auto plan = walproof::PlanRepair(fs, dir);
    Status st = Variant::Repair(fs, dir, protocol, wrote);
    if (!st.ok() || !*wrote || !plan.ok() || !plan->segment) return st;
    const std::string path = walproof::JoinPath(dir, walproof::SegmentFileName(*plan->segment));
    walproof::SegmentReader reader(fs, {{*plan->segment, path}});
    std::string_view rec;
    uint64_t before_last = 0, prev_end = 0;
    int n = 0;
    while (reader.Next(&rec)) {
      before_last = prev_end;
      prev_end = reader.offset();
      ++n;
    }
    if (n == 0) return st;
    auto f = fs.OpenForAppend(path);
    if (!f.ok()) return f.status();
    WALPROOF_RETURN_IF_ERROR((*f)->Truncate(before_last));
    WALPROOF_RETURN_IF_ERROR((*f)->Sync());
    return (*f)->Close();
  }
};

// --- replay-reorders: replay that applies the samples of every record in
// reverse order, so a series sees its samples out of order.
class ReorderingReplay final : public Variant {
 public:
  std::string name() const override { return "replay-reorders"; }
  std::string description() const override { return "replay that applies each record's samples in reverse order"; }
  Status Replay(Fs& fs, const std::string& dir, walproof::Head* head) override {
    auto plan = walproof::PlanWalRead(fs, dir);
    if (!plan.ok()) return plan.status();
    walproof::WalReader reader(fs, std::move(*plan));
    std::string_view rec;
    std::vector<walproof::RefSample> samples;
    while (reader.Next(&rec)) {
      if (walproof::PeekRecordType(rec) == static_cast<uint8_t>(walproof::RecordType::kSamples) &&
          walproof::DecodeSamples(rec, &samples).ok()) {
        for (auto it = samples.rbegin(); it != samples.rend(); ++it) head->AppendSample(*it);
        continue;
      }
      ApplyRecord(rec, head);
    }
    return reader.status();
  }
};

}  // namespace

std::vector<std::string> BrokenVariantNames() {
  return {"skip-file-fsync", "skip-dir-fsync", "header-before-payload",
          "ignore-crc",      "repair-drops-record", "replay-reorders"};
}

std::unique_ptr<Variant> MakeBrokenVariant(const std::string& name) {
  if (name == "skip-file-fsync") {
    return std::make_unique<FsVariant<NoFileSyncFs, true, true>>(name, "fsync of a file does nothing and returns OK");
  }
  if (name == "skip-dir-fsync") {
    return std::make_unique<FsVariant<NoDirSyncFs, true, true>>(name, "fsync of a directory does nothing and returns OK");
  }
  if (name == "header-before-payload") {
    return std::make_unique<FsVariant<HeaderFirstFs, true, true>>(
        name, "the last fragment header of a write lands (and is fsynced) before its payload");
  }
  if (name == "ignore-crc") {
    return std::make_unique<FsVariant<IgnoreCrcFs, false, true>>(name, "the reader accepts any fragment checksum");
  }
  if (name == "repair-drops-record") return std::make_unique<DropRecordRepair>();
  if (name == "replay-reorders") return std::make_unique<ReorderingReplay>();
  return nullptr;
}

}  // namespace crashsim
