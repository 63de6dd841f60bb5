// Emulations of Prometheus 2.42's writer where it differs from the reference
// in ways WalWriterOptions cannot express: its page buffer keeps bytes a
// failed write did not flush (#13027), and a short write is retried from the
// start (#8125). They wrap the Fs the reference writer uses and change what
// reaches the file the way upstream's writer would.
#include "crashsim/forwarding_fs.h"
#include "crashsim/variants.h"

namespace crashsim {
namespace {

using walproof::Status;
using walproof::WritableFile;

// #13027: after ENOSPC the first fragment of the failed write stays in the
// page buffer and goes out in front of the next write, without the rest of
// its record.
class BufferedFragmentFile final : public ForwardingFile {
 public:
  using ForwardingFile::ForwardingFile;
  Status Append(std::string_view data, size_t* written) override {
    std::string all = stale_ + std::string(data);
    size_t w = 0;
    Status st = base().Append(all, &w);
    if (st.ok()) {
      stale_.clear();
      *written = data.size();
      return st;
    }
    if (w > 0) {
      // What landed stays; upstream's buffer is not rewound either.
      *written = 0;
      return st;
    }
    uint64_t first_end = 0;
    ForEachFragment(data, base().Size(), [&](uint64_t p, uint8_t, uint64_t len) {
      first_end = p + walproof::kFragmentHeaderSize + len;
      return false;
    });
    stale_ = std::string(data.substr(0, first_end));
    *written = 0;
    return st;
  }

 private:
  std::string stale_;
};

// #8125: a short write is retried with the whole buffer, duplicating the
// bytes that had landed.
class RetryShortWriteFile final : public ForwardingFile {
 public:
  using ForwardingFile::ForwardingFile;
  Status Append(std::string_view data, size_t* written) override {
    size_t w = 0;
    Status st = base().Append(data, &w);
    if (!st.ok() && w > 0 && w < data.size()) st = base().Append(data, &w);
    *written = st.ok() ? data.size() : 0;
    return st;
  }
};

template <typename FileType>
class WrapFilesFs final : public ForwardingFs {
 public:
  using ForwardingFs::ForwardingFs;

 protected:
  std::unique_ptr<WritableFile> WrapFile(const std::string&, std::unique_ptr<WritableFile> f) override {
    return std::make_unique<FileType>(std::move(f));
  }
};

template <typename FileType>
class UpstreamWriter final : public Variant {
 public:
  UpstreamWriter(std::string name, std::string description)
      : name_(std::move(name)), description_(std::move(description)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return description_; }
  std::unique_ptr<walproof::Fs> WrapWorkloadFs(walproof::Fs& fs) override {
    return std::make_unique<WrapFilesFs<FileType>>(fs);
  }

 private:
  std::string name_, description_;
};

}  // namespace

std::vector<std::string> UpstreamVariantNames() { return {"upstream-enospc-buffer", "upstream-short-write-retry"}; }

std::unique_ptr<Variant> MakeUpstreamVariant(const std::string& name) {
  if (name == "upstream-enospc-buffer") {
    return std::make_unique<UpstreamWriter<BufferedFragmentFile>>(
        name, "2.42 writer: after ENOSPC a fragment stays buffered and is flushed later without its record (#13027)");
  }
  if (name == "upstream-short-write-retry") {
    return std::make_unique<UpstreamWriter<RetryShortWriteFile>>(
        name, "2.42 writer: a short write is retried from the start, duplicating bytes (#8125)");
  }
  return nullptr;
}

std::vector<std::string> AllVariantNames() {
  std::vector<std::string> all = BrokenVariantNames();
  for (const auto& n : UpstreamVariantNames()) all.push_back(n);
  return all;
}

std::unique_ptr<Variant> MakeVariant(const std::string& name) {
  if (auto v = MakeBrokenVariant(name)) return v;
  return MakeUpstreamVariant(name);
}

}  // namespace crashsim
