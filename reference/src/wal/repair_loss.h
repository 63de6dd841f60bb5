// What a repair drops, counted leniently: after the cut the strict reader
// would stop at the first damage, but an operator deciding whether to repair
// wants every record that can still be recognised.
#pragma once

#include <cstdint>
#include <string>

#include "walproof/io/fs.h"
#include "walproof/wal/repair.h"

namespace walproof::repair_internal {

// Walks the fragments of `path` from `start` without trusting the strict
// reader's rules: a fragment with a bad CRC is skipped, a header that makes
// no sense skips the rest of its page. Counts every complete record found.
void ScanLoss(Fs& fs, const std::string& path, uint64_t start, RepairLoss* loss);

}  // namespace walproof::repair_internal
