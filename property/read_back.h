// Reading a WAL directory back, for properties that check what it holds
// record by record: framing (what was logged), repair (what was kept), the
// checkpoint range, and the model test (what the model says).
#pragma once

#include <string>
#include <vector>

#include "walproof/io/fs.h"
#include "walproof/io/status.h"

namespace walproof::prop {

struct ReadBack {
  // Every record in replay order, the checkpoint's first.
  std::vector<std::string> records;
  // Per record: the segment it lies in, or -1 inside the checkpoint.
  std::vector<int> segments;
  // How reading ended: ok at a clean end, else the first corruption.
  Status status;

  // The records after the checkpoint, those of the segments.
  std::vector<std::string> SegmentRecords() const;
};

// Fails only when the directory cannot be planned; damage ends up in status.
Result<ReadBack> ReadBackWal(Fs& fs, const std::string& dir);

// Empty when `got` holds exactly the records `want`, in order; else the
// first difference in words, records shown decoded where they decode.
std::string DiffRecords(const std::vector<std::string>& got, const std::vector<std::string>& want);

}  // namespace walproof::prop
