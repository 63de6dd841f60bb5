// Series selectors as an operator types them for `rescue --drop`:
// `{job="runaway"}`, `up{instance=~"10\\.0\\..*"}`, with =, !=, =~ and !~.
// Regular expressions are anchored at both ends, as PromQL's are; they use
// std::regex's ECMAScript grammar, which agrees with RE2 on the common forms
// (alternation, classes, repetition) but not on every corner.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "walproof/format/record.h"
#include "walproof/io/status.h"

namespace walproof::tsdb {

class SeriesSelector {
 public:
  // InvalidArgument with the position of what could not be parsed.
  static Result<SeriesSelector> Parse(const std::string& text);
  // A series matches when every matcher does; a missing label is "".
  bool Matches(const Labels& labels) const;
  const std::string& text() const { return text_; }

 private:
  struct Matcher;
  std::string text_;
  std::vector<std::shared_ptr<const Matcher>> matchers_;
};

}  // namespace walproof::tsdb
