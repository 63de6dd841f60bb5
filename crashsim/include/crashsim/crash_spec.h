// CrashSpec: a compact description of one crash state of a recorded run,
// and StateId, the stable name under which it is reported and rebuilt.
//
// A crash state is: a crash point (how many logged ops happened), a default
// fate for everything not yet durable (kept, as after a process crash, or
// lost, as after a power cut), a fate for the directory operations not yet
// made durable by a directory fsync, and possibly a special fate for one
// file (a cut write, lost pages, garbage, a flipped bit). CrashBuilder turns
// it into a CrashImage.
#pragma once

#include <cstdint>
#include <string>

namespace crashsim {

// The fault classes of the crash model (docs/design.md, "Crash model").
enum class FaultClass : uint8_t {
  kCut = 1,        // op boundaries, a write cut at every byte
  kLostData = 2,   // unsynced data lost: prefix, 4 KiB pages, 512 B sectors
  kTorn = 3,       // a cut piece filled with zeros, random or stale bytes
  kDirOps = 4,     // unsynced creates/renames/unlinks lost; size without data
  kIoError = 5,    // ENOSPC, EIO, short writes returned to the writer
  kAtRest = 6,     // bit flips and zeroed sectors in synced data
  kCompound = 7,   // a second crash during recovery (and its repair)
};
inline constexpr int kNumFaultClasses = 7;
const char* FaultClassName(FaultClass c);
bool ParseFaultClass(const std::string& name, FaultClass* out);

class FaultClassSet {
 public:
  static FaultClassSet All() { return FaultClassSet(0x7F); }
  static FaultClassSet None() { return FaultClassSet(0); }
  bool Has(FaultClass c) const { return bits_ & Bit(c); }
  FaultClassSet With(FaultClass c) const { return FaultClassSet(bits_ | Bit(c)); }
  FaultClassSet Without(FaultClass c) const { return FaultClassSet(bits_ & ~Bit(c)); }
  uint8_t bits() const { return bits_; }

 private:
  explicit FaultClassSet(uint8_t bits) : bits_(bits) {}
  static uint8_t Bit(FaultClass c) { return static_cast<uint8_t>(1u << (static_cast<int>(c) - 1)); }
  uint8_t bits_;
};

enum class DataFate : uint8_t { kKeep, kLose };
enum class DirFate : uint8_t { kKeep, kLose, kPrefix, kDropOne, kSubset };
enum class FileFate : uint8_t {
  kNone,
  kPartialOp,   // op number `point` (an append) landed only its first `a` bytes
  kPrefix,      // of the unsynced bytes only the first `a` landed
  kLosePieces,  // the listed pieces (of `piece` bytes) of the unsynced range reverted; size kept
  kSizeOnly,    // the file size landed, none of the unsynced data (old bytes or zeros)
  kGarbage,     // [a, a+b) replaced by `fill`
  kBitFlip,     // bit `bit` of byte `a` flipped
  kZeroRange,   // [a, a+b) zeroed
};
enum class Fill : uint8_t { kZeros, kRandom, kStale };
const char* FillName(Fill f);

// Points of a fault-injected run (class 5) are known only once it ran.
inline constexpr uint32_t kPointAfterFault = 0xFFFFFFFEu;
inline constexpr uint32_t kPointEnd = 0xFFFFFFFFu;

struct CrashSpec {
  FaultClass cls = FaultClass::kCut;
  uint32_t point = 0;
  DataFate data = DataFate::kKeep;
  DirFate dir = DirFate::kKeep;
  uint64_t dir_arg = 0;
  int32_t file = -1;  // inode with a special fate
  FileFate fate = FileFate::kNone;
  uint64_t a = 0;
  uint64_t b = 0;
  uint32_t piece = 0;
  uint8_t npieces = 0;
  uint32_t pieces[3] = {0, 0, 0};
  Fill fill = Fill::kZeros;
  int32_t stale_from = -1;
  uint8_t bit = 0;
  uint64_t garbage_seed = 0;
  // Class 5: which faultable call of the run fails, and how (IoFault).
  int64_t fault_call = -1;
  uint8_t io_fault = 0;
};

// "2.1234": class 2, index 1234 in that class's enumeration. A compound
// state (class 7) names its parent state and the child index in the
// enumeration of the parent's recovery run: "7.2.1234.5".
struct StateId {
  FaultClass cls = FaultClass::kCut;
  uint32_t index = 0;
  FaultClass parent_cls = FaultClass::kCut;  // compound only
  uint32_t parent_index = 0;
  bool operator==(const StateId&) const = default;
  std::string ToString() const;
  static bool Parse(const std::string& s, StateId* out);
};

}  // namespace crashsim
