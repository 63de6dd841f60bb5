#include "walproof/tsdb/tombstones_file.h"

#include "format/byte_cursor.h"
#include "tsdb/enc_buf.h"
#include "walproof/format/crc32c.h"
#include "walproof/tsdb/block_format.h"

namespace walproof::tsdb {

std::string EncodeTombstones(const std::vector<Tombstone>& stones) {
  EncBuf entries;
  for (const Tombstone& t : stones) {
    entries.Uvarint(t.series_ref);
    entries.Varint(t.mint);
    entries.Varint(t.maxt);
  }
  EncBuf out;
  out.BE32(kTombstonesMagic);
  out.U8(kTombstonesVersion1);
  out.Bytes(entries.str());
  out.BE32(crc32c::Value(entries.str()));
  return std::move(out.str());
}

Result<std::vector<Tombstone>> DecodeTombstones(std::string_view data, const std::string& path) {
  if (data.size() < 9) {
    return Status::Corruption(path + " at offset 0: " + std::to_string(data.size()) +
                              " bytes, shorter than header and checksum (9)");
  }
  if (LoadBE32(data.data()) != kTombstonesMagic) return Status::Corruption(path + " at offset 0: bad magic");
  if (static_cast<uint8_t>(data[4]) != kTombstonesVersion1) {
    return Status::Corruption(path + " at offset 4: unsupported version " +
                              std::to_string(static_cast<uint8_t>(data[4])));
  }
  const std::string_view entries = data.substr(5, data.size() - 9);
  if (crc32c::Value(entries) != LoadBE32(data.data() + data.size() - 4)) {
    return Status::Corruption(path + " at offset " + std::to_string(data.size() - 4) + ": checksum mismatch");
  }
  std::vector<Tombstone> out;
  ByteCursor c(entries);
  while (c.ok() && !c.empty()) {
    Tombstone t;
    t.series_ref = c.Uvarint("series ref");
    t.mint = c.Varint("mint");
    t.maxt = c.Varint("maxt");
    if (c.ok()) out.push_back(t);
  }
  if (!c.ok()) return Status::Corruption(path + ": entries (from offset 5): " + c.error());
  return out;
}

}  // namespace walproof::tsdb
