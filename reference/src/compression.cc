#include "compression.h"

#include <snappy.h>
#include <zstd.h>

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

Status DecompressZstd(std::string_view in, std::string* out) {
  ZSTD_DCtx* d = Zstd().d;
  ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
  // zstd sizes its window buffer from the frame header, so a 10-byte frame
  // could make it allocate 128 MiB. No honest record needs a window much
  // larger than its output can be, which is bounded by 32768x the input here.
  int window_log = 10;
  while (window_log < 27 && (size_t{1} << window_log) < in.size() * 32768) ++window_log;
  ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, window_log);
  // Grow the output as data actually comes out, never trusting the size a
  // frame claims: allocation follows real work, not an attacker's header.
  out->clear();
  size_t claimed = ZSTD_getFrameContentSize(in.data(), in.size());
  size_t initial = in.size() * 4 + 64;
  if (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != ZSTD_CONTENTSIZE_ERROR) {
    if (claimed > kMaxDecompressedRecord) {
      return Status::Corruption("zstd record claims " + std::to_string(claimed) + " bytes");
    }
    initial = std::min(claimed, initial);
  }
  out->resize(std::max<size_t>(initial, 64));
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t produced = 0;
  while (true) {
    ZSTD_outBuffer output{out->data() + produced, out->size() - produced, 0};
    size_t rc = ZSTD_decompressStream(d, &output, &input);
    if (ZSTD_isError(rc)) {
      return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(rc));
    }
    produced += output.pos;
    if (rc == 0) break;  // frame complete
    if (input.pos == input.size && output.pos < output.size) {
      return Status::Corruption("zstd: truncated frame");
    }
    if (produced == out->size()) {
      if (out->size() >= kMaxDecompressedRecord) {
        return Status::Corruption("zstd record expands beyond " +
                                  std::to_string(kMaxDecompressedRecord) + " bytes");
      }
      out->resize(std::min(out->size() * 2, kMaxDecompressedRecord));
    }
  }
  if (input.pos != input.size) return Status::Corruption("zstd: trailing bytes after frame");
  // The streaming decoder does not hold a frame to the size it claims.
  if (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != ZSTD_CONTENTSIZE_ERROR && claimed != produced) {
    return Status::Corruption("zstd frame claims " + std::to_string(claimed) + " bytes but holds " +
                              std::to_string(produced));
  }
  out->resize(produced);
  return Status::Ok();
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
