// Model: what the workload logged and what it was promised, against which
// every recovery is judged.
//
// Records are kept in log order. A record whose Log call failed is "maybe":
// it may or may not survive (the writer undoes it, but a batch that switched
// segments midway keeps its first part), and it may never appear out of
// place. An acknowledgement is recorded when a Sync (or Close, or a segment
// switch, which sync) returns OK: from that op on, every record logged before
// it must survive any crash.
#pragma once

#include <cstdint>
#include <climits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace crashsim {

struct LoggedRecord {
  std::string bytes;
  uint64_t hash = 0;
  bool definite = true;   // its Log call returned OK
  uint32_t begin_op = 0;  // ops logged before its Log call began
  int segment = -1;       // the segment the writer was on when Log returned
};

class Model {
 public:
  void AddLogged(const std::vector<std::string>& records, bool ok, uint32_t begin_op, int segment = -1);
  // Everything logged so far is durable once `op_count` ops have happened.
  void AddAck(uint32_t op_count);

  size_t size() const { return records_.size(); }
  const LoggedRecord& at(size_t i) const { return records_[i]; }
  const std::vector<LoggedRecord>& records() const { return records_; }

  // (op count, records acknowledged) in order.
  const std::vector<std::pair<uint32_t, uint32_t>>& acks() const { return acks_; }
  // How many leading records were acknowledged durable at crash point `point`.
  uint32_t AckedAt(uint32_t point) const;
  // How many leading records had begun to be logged before `point`.
  uint32_t LoggedAt(uint32_t point) const;
  // The index just past the last definite record among the first `n`: a
  // recovery that keeps the first n must have matched at least this far.
  uint32_t RequiredEnd(uint32_t n) const;
  // The first record logged into a segment after `segment`: where replay of
  // the segments after checkpoint.<segment> starts in the model.
  uint32_t FirstAfterSegment(int segment) const;
  // Whether any of the first `n` records is a "maybe" one.
  bool AnyMaybeBefore(uint32_t n) const;
  // Samples older than this are not expected after recovery (the head was
  // truncated to it); the workload raises it when it checkpoints.
  int64_t min_valid_time() const { return min_valid_time_; }
  void set_min_valid_time(int64_t t) { min_valid_time_ = t; }

  // Index of a record with these bytes, or -1.
  int Find(std::string_view bytes) const;
  int Find(std::string_view bytes, uint64_t hash) const;

 private:
  std::vector<LoggedRecord> records_;
  std::vector<std::pair<uint32_t, uint32_t>> acks_;  // (op count, records acked), increasing
  std::vector<uint32_t> required_end_;               // by prefix length
  std::unordered_multimap<uint64_t, uint32_t> by_hash_;
  int64_t min_valid_time_ = INT64_MIN;
};

}  // namespace crashsim
