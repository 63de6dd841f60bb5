#include "walproof/tsdb/label_matcher.h"

#include <cctype>
#include <regex>

namespace walproof::tsdb {

struct SeriesSelector::Matcher {
  std::string name;
  enum Op { kEq, kNe, kRe, kNre } op = kEq;
  std::string value;
  std::regex re;

  bool Matches(const std::string& v) const {
    switch (op) {
      case kEq: return v == value;
      case kNe: return v != value;
      case kRe: return std::regex_match(v, re);
      case kNre: return !std::regex_match(v, re);
    }
    return false;
  }
};

namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

Status Bad(const std::string& text, size_t at, const std::string& why) {
  return Status::InvalidArgument("selector " + text + " at position " + std::to_string(at) + ": " + why);
}

}  // namespace

Result<SeriesSelector> SeriesSelector::Parse(const std::string& text) {
  SeriesSelector sel;
  sel.text_ = text;
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto name = [&]() {
    const size_t from = i;
    while (i < text.size() && IsNameChar(text[i], i == from)) ++i;
    return text.substr(from, i - from);
  };
  skip();
  if (i < text.size() && text[i] != '{') {
    auto m = std::make_shared<Matcher>();
    m->name = "__name__";
    m->value = name();
    if (m->value.empty()) return Bad(text, i, "expected a metric name or '{'");
    sel.matchers_.push_back(std::move(m));
    skip();
  }
  if (i < text.size()) {
    if (text[i] != '{') return Bad(text, i, "expected '{'");
    ++i;
    while (true) {
      skip();
      if (i < text.size() && text[i] == '}') {
        ++i;
        break;
      }
      auto m = std::make_shared<Matcher>();
      m->name = name();
      if (m->name.empty()) return Bad(text, i, "expected a label name");
      skip();
      if (text.compare(i, 2, "=~") == 0) m->op = Matcher::kRe, i += 2;
      else if (text.compare(i, 2, "!~") == 0) m->op = Matcher::kNre, i += 2;
      else if (text.compare(i, 2, "!=") == 0) m->op = Matcher::kNe, i += 2;
      else if (text.compare(i, 1, "=") == 0) m->op = Matcher::kEq, i += 1;
      else return Bad(text, i, "expected =, !=, =~ or !~");
      skip();
      if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) return Bad(text, i, "expected a quoted value");
      const char quote = text[i++];
      while (i < text.size() && text[i] != quote) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          ++i;
          const char c = text[i];
          m->value += c == 'n' ? '\n' : c == 't' ? '\t' : c;
        } else {
          m->value += text[i];
        }
        ++i;
      }
      if (i >= text.size()) return Bad(text, i, "unterminated value");
      ++i;
      if (m->op == Matcher::kRe || m->op == Matcher::kNre) {
        try {
          m->re = std::regex(m->value, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
          return Bad(text, i, std::string("bad regular expression: ") + e.what());
        }
      }
      sel.matchers_.push_back(std::move(m));
      skip();
      if (i < text.size() && text[i] == ',') ++i;
    }
    skip();
    if (i != text.size()) return Bad(text, i, "unexpected text after '}'");
  }
  if (sel.matchers_.empty()) return Bad(text, 0, "selects every series; name at least one label");
  return sel;
}

bool SeriesSelector::Matches(const Labels& labels) const {
  for (const auto& m : matchers_) {
    std::string value;
    for (const Label& l : labels) {
      if (l.name == m->name) {
        value = l.value;
        break;
      }
    }
    if (!m->Matches(value)) return false;
  }
  return true;
}

}  // namespace walproof::tsdb
