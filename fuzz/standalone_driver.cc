// The plain driver: runs a fuzz target over files, for builds without
// libFuzzer (GCC, the dev and asan presets). ctest uses it to replay every
// corpus file as a regression test.
//
//   <target> [-flags ignored] PATH...
//
// Each PATH is a file or a directory (walked recursively, files in name
// order). Every file is one LLVMFuzzerTestOneInput call; a failing property
// aborts, so the exit status and the last "running" line say which file.
// Flags (arguments starting with '-') are accepted and ignored, so the same
// command line works for a libFuzzer build.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> files;
  bool any_path = false;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '-') continue;
    any_path = true;
    fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(p)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "%s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  if (!any_path) {
    std::fprintf(stderr, "usage: %s [flags ignored] FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (const fs::path& p : files) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) {
      std::fprintf(stderr, "%s: cannot read\n", p.c_str());
      return 2;
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", p.c_str(), data.size());
    // A copy of exactly the input's size, so ASan sees reads past its end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[data.size()]);
    if (!data.empty()) std::memcpy(copy.get(), data.data(), data.size());
    LLVMFuzzerTestOneInput(copy.get(), data.size());
    bytes += data.size();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "%s: %zu inputs (%zu bytes) passed in %.2f s\n", argv[0], files.size(), bytes, secs);
  return 0;
}
