#include "format/compression.h"

#include <snappy.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace walproof {
namespace {

struct ZstdContexts {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ~ZstdContexts() {
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
  }
};

// One pair per thread: parallel replay decompresses on every worker.
ZstdContexts& Zstd() {
  thread_local ZstdContexts contexts;
  return contexts;
}

// zstd can make at most about 32768 bytes per input byte (a 128 KiB RLE
// block costs 4 bytes), so a frame claiming more is damaged.
constexpr size_t kZstdMaxExpansion = 32768;

// One-shot decoding writes straight into *out, with no window buffer: zstd's
// streaming decoder allocates one of the size the frame header declares, so a
// 10-byte frame declaring a large window made hundreds of KiB of allocation
// for a few bytes of output (fuzz/FINDINGS.md, findings 1 and 6). Allocation
// follows output instead: the size a frame claims is used only when its input
// can produce it, and without a claim the buffer doubles until the frame
// fits (those frames are rare: Prometheus and walproof both write the size).
Status DecompressZstd(std::string_view in, std::string* out) {
  ZSTD_DCtx* d = Zstd().d;
  ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
  out->clear();
  const size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(frame));
  if (frame != in.size()) return Status::Corruption("zstd: trailing bytes after frame");
  const unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
  if (claimed == ZSTD_CONTENTSIZE_ERROR) return Status::Corruption("zstd: bad frame header");
  const bool known = claimed != ZSTD_CONTENTSIZE_UNKNOWN;
  if (known && (claimed > kMaxDecompressedRecord || claimed > kZstdMaxExpansion * in.size() + 65536)) {
    return Status::Corruption("zstd record claims " + std::to_string(claimed) + " bytes from " +
                              std::to_string(in.size()));
  }
  // Without a claim, attempts double up to exactly `limit`, from about 4x the
  // input: all of them together allocate at most twice the last one.
  const size_t limit = std::min(kMaxDecompressedRecord, kZstdMaxExpansion * in.size() + 65536);
  size_t capacity = static_cast<size_t>(claimed);
  if (!known) {
    capacity = limit;
    while (capacity / 2 >= in.size() * 4 + 64) capacity = (capacity + 1) / 2;
  }
  while (true) {
    if (out->capacity() < capacity) {
      std::string exact(capacity, '\0');  // resize() could round up to twice the old capacity
      out->swap(exact);
    } else {
      out->resize(capacity);
    }
    const size_t rc = ZSTD_decompressDCtx(d, out->data(), out->size(), in.data(), in.size());
    if (!ZSTD_isError(rc)) {
      // One-shot decoding checks a claimed size too; kept explicit.
      if (known && rc != claimed) {
        return Status::Corruption("zstd frame claims " + std::to_string(claimed) + " bytes but holds " +
                                  std::to_string(rc));
      }
      out->resize(rc);
      return Status::Ok();
    }
    if (known || ZSTD_getErrorCode(rc) != ZSTD_error_dstSize_tooSmall) {
      out->clear();
      return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(rc));
    }
    if (capacity >= limit) {
      out->clear();
      return Status::Corruption("zstd record expands beyond " + std::to_string(capacity) + " bytes");
    }
    capacity = std::min(capacity * 2, limit);
  }
}

}  // namespace

bool CompressRecord(Compression c, std::string_view in, std::string* out) {
  if (in.empty()) return false;
  switch (c) {
    case Compression::kNone:
      return false;
    case Compression::kSnappy: {
      out->resize(snappy::MaxCompressedLength(in.size()));
      size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out->data(), &n);
      out->resize(n);
      return n < in.size();
    }
    case Compression::kZstd: {
      out->resize(ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compressCCtx(Zstd().c, out->data(), out->size(), in.data(), in.size(),
                                   ZSTD_CLEVEL_DEFAULT);
      if (ZSTD_isError(n)) return false;
      out->resize(n);
      return n < in.size();
    }
  }
  return false;
}

Status DecompressRecord(Compression c, std::string_view in, std::string* out) {
  switch (c) {
    case Compression::kNone:
      out->assign(in);
      return Status::Ok();
    case Compression::kSnappy: {
      size_t claimed = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &claimed)) {
        return Status::Corruption("snappy: corrupt input");
      }
      // A snappy element of n bytes expands to at most ~22n, so anything
      // beyond 32x is a lie; refuse before allocating.
      if (claimed > kMaxDecompressedRecord || claimed > in.size() * 32 + 1024) {
        return Status::Corruption("snappy record claims " + std::to_string(claimed) +
                                  " bytes from " + std::to_string(in.size()));
      }
      out->resize(claimed);
      if (!snappy::RawUncompress(in.data(), in.size(), out->data())) {
        return Status::Corruption("snappy: corrupt input");
      }
      return Status::Ok();
    }
    case Compression::kZstd:
      return DecompressZstd(in, out);
  }
  return Status::InvalidArgument("unknown compression");
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kSnappy: return "snappy";
    case Compression::kZstd: return "zstd";
  }
  return "?";
}

bool ParseCompression(const char* name, Compression* out) {
  if (std::strcmp(name, "none") == 0) *out = Compression::kNone;
  else if (std::strcmp(name, "snappy") == 0) *out = Compression::kSnappy;
  else if (std::strcmp(name, "zstd") == 0) *out = Compression::kZstd;
  else return false;
  return true;
}

}  // namespace walproof
