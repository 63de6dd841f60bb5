// Copies for --backup: the commands that rewrite or remove WAL files first
// copy them aside, fsynced, so that the operator keeps the originals.
#pragma once

#include <string>

#include "walproof/io/fs.h"

namespace walproof::cli {

// Copies one file and fsyncs the copy.
Status CopyFile(Fs& fs, const std::string& from, const std::string& to);

// Copies directory `from` and everything below it to `to`, which must not
// exist yet; every file and directory fsynced. *files counts the files.
Status CopyTree(Fs& fs, const std::string& from, const std::string& to, int* files);

}  // namespace walproof::cli
