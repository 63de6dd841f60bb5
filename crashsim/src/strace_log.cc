#include "crashsim/strace_log.h"

#include <cctype>
#include <map>

namespace crashsim {
namespace {

using walproof::Result;
using walproof::Status;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Index just past the ')' that closes the argument list opened before `i`,
// splitting the top-level arguments into `args`. npos when the line ends first.
size_t SplitArgs(std::string_view s, size_t i, std::vector<std::string>* args) {
  int depth = 0;
  bool in_quote = false;
  std::string cur;
  auto flush = [&] {
    size_t a = cur.find_first_not_of(' ');
    size_t b = cur.find_last_not_of(' ');
    if (a != std::string::npos) args->push_back(cur.substr(a, b - a + 1));
    cur.clear();
  };
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (in_quote) {
      cur += c;
      if (c == '\\' && i + 1 < s.size()) {
        cur += s[++i];
      } else if (c == '"') {
        in_quote = false;
      }
      continue;
    }
    if (c == '"') {
      in_quote = true;
      cur += c;
      continue;
    }
    // An fd decoration: "3</path>" or "AT_FDCWD</path>"; the path may hold
    // any character but '>' (strace escapes it).
    if (c == '<' && !cur.empty() && (std::isdigit(static_cast<unsigned char>(cur.back())) || cur.ends_with("AT_FDCWD"))) {
      size_t end = s.find('>', i);
      if (end == std::string_view::npos) return std::string_view::npos;
      cur.append(s.substr(i, end - i + 1));
      i = end;
      continue;
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ')') {
      if (depth == 0) {
        flush();
        return i + 1;
      }
      --depth;
    }
    if (c == ',' && depth == 0) {
      flush();
      continue;
    }
    cur += c;
  }
  return std::string_view::npos;
}

// " = 3</path>", " = -1 ENOENT (No such file) (INJECTED)", " = 0x7f00", " = ?".
bool ParseReturn(std::string_view s, Syscall* call) {
  size_t eq = s.find("= ");
  if (eq == std::string_view::npos) return false;
  std::string_view r = s.substr(eq + 2);
  if (r.starts_with("?")) {
    call->ret = 0;
    call->error = "?";
    return true;
  }
  size_t end = 0;
  while (end < r.size() && r[end] != ' ' && r[end] != '<') ++end;
  std::string_view num = r.substr(0, end);
  if (num.starts_with("0x")) {
    call->ret = static_cast<int64_t>(std::stoull(std::string(num.substr(2)), nullptr, 16));
  } else if (!ParseInt(num, &call->ret)) {
    return false;
  }
  std::string_view rest = r.substr(end);
  if (rest.starts_with("<")) {
    size_t close = rest.find('>');
    if (close == std::string_view::npos) return false;
    call->ret_path = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
  }
  if (call->ret == -1) {
    size_t a = rest.find_first_not_of(' ');
    if (a != std::string_view::npos) {
      size_t b = rest.find(' ', a);
      call->error = std::string(rest.substr(a, b == std::string_view::npos ? std::string_view::npos : b - a));
    }
  }
  call->injected = rest.find("(INJECTED)") != std::string_view::npos;
  return true;
}

// " | 00000  68 65 6c 6c 6f ...  hello |": appends the dumped bytes.
bool ParseDump(std::string_view line, std::string* out) {
  size_t i = 3;
  while (i < line.size() && HexValue(line[i]) >= 0) ++i;
  if (i == 3 || i + 3 > line.size()) return false;  // an offset, then the bytes
  std::string_view hex = line.substr(i + 2, 49);
  const size_t before = out->size();
  for (size_t j = 0; j < hex.size(); ++j) {
    if (hex[j] == ' ') continue;
    if (j + 1 >= hex.size()) return false;
    int hi = HexValue(hex[j]), lo = HexValue(hex[j + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    ++j;
  }
  return out->size() > before;
}

}  // namespace

bool ParseInt(std::string_view arg, int64_t* out) {
  if (arg.empty()) return false;
  size_t i = arg[0] == '-' ? 1 : 0;
  if (i == arg.size()) return false;
  int64_t v = 0;
  for (; i < arg.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(arg[i]))) return false;
    v = v * 10 + (arg[i] - '0');
  }
  *out = arg[0] == '-' ? -v : v;
  return true;
}

bool ParseFdArg(std::string_view arg, int* fd, std::string* path) {
  size_t lt = arg.find('<');
  std::string_view head = arg.substr(0, lt);
  int64_t v = 0;
  if (head == "AT_FDCWD") {
    *fd = kAtFdCwd;
  } else if (ParseInt(head, &v)) {
    *fd = static_cast<int>(v);
  } else {
    return false;
  }
  path->clear();
  if (lt != std::string_view::npos && arg.ends_with(">")) *path = std::string(arg.substr(lt + 1, arg.size() - lt - 2));
  return true;
}

bool ParseQuoted(std::string_view arg, std::string* out) {
  if (arg.size() < 2 || arg.front() != '"' || arg.back() != '"') return false;
  out->clear();
  for (size_t i = 1; i + 1 < arg.size(); ++i) {
    char c = arg[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i + 1 > arg.size() - 1) return false;
    char e = arg[i];
    switch (e) {
      case 'n': out->push_back('\n'); break;
      case 't': out->push_back('\t'); break;
      case 'r': out->push_back('\r'); break;
      case 'v': out->push_back('\v'); break;
      case 'f': out->push_back('\f'); break;
      case 'x': {
        int hi = i + 2 < arg.size() ? HexValue(arg[i + 1]) : -1;
        int lo = i + 2 < arg.size() ? HexValue(arg[i + 2]) : -1;
        if (hi < 0 || lo < 0) return false;
        out->push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = 0, n = 0;
          while (n < 3 && i < arg.size() - 1 && arg[i] >= '0' && arg[i] <= '7') v = v * 8 + (arg[i++] - '0'), ++n;
          --i;
          out->push_back(static_cast<char>(v));
        } else {
          out->push_back(e);
        }
    }
  }
  return true;
}

bool HasFlag(std::string_view flags, std::string_view flag) {
  size_t pos = 0;
  while (pos <= flags.size()) {
    size_t bar = flags.find('|', pos);
    std::string_view f = flags.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos);
    if (f == flag) return true;
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
  return false;
}

Result<StraceLog> StraceLog::Parse(std::string_view text) {
  StraceLog log;
  std::map<int, std::string> pending;  // pid -> "name(args so far" of an unfinished call
  bool last_is_write = false;
  size_t line_no = 0;
  size_t pos = 0;
  auto fail = [&](const std::string& why) {
    return Status::Corruption("strace output line " + std::to_string(line_no) + ": " + why);
  };
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line.starts_with(" | ")) {
      if (!last_is_write || log.calls_.empty()) return fail("a data dump that follows no write");
      if (!ParseDump(line, &log.calls_.back().data)) return fail("unreadable data dump");
      continue;
    }
    if (line.starts_with(" * ")) continue;  // "N bytes in buffer K" of a writev dump
    last_is_write = false;
    size_t i = 0;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
    if (i == 0) return fail("no process id");
    int64_t pid64 = 0;
    ParseInt(line.substr(0, i), &pid64);
    const int pid = static_cast<int>(pid64);
    if (log.first_pid_ == 0) log.first_pid_ = pid;
    while (i < line.size() && line[i] == ' ') ++i;
    std::string_view rest = line.substr(i);
    if (rest.starts_with("+++") || rest.starts_with("---")) continue;  // exits and signals
    std::string whole;
    if (rest.starts_with("<... ")) {
      size_t r = rest.find(" resumed>");
      auto it = pending.find(pid);
      if (r == std::string_view::npos || it == pending.end()) return fail("a resumed call that never started");
      whole = it->second + std::string(rest.substr(r + 9));
      pending.erase(it);
    } else {
      whole = std::string(rest);
    }
    const std::string_view kUnfinished = " <unfinished ...>";
    if (std::string_view(whole).ends_with(kUnfinished)) {
      pending[pid] = whole.substr(0, whole.size() - kUnfinished.size());
      continue;
    }
    size_t paren = whole.find('(');
    if (paren == std::string::npos) return fail("no system call: " + whole.substr(0, 80));
    Syscall call;
    call.line = line_no;
    call.pid = pid;
    call.name = whole.substr(0, paren);
    size_t after = SplitArgs(whole, paren + 1, &call.args);
    if (after == std::string::npos) return fail("unterminated arguments of " + call.name);
    if (!ParseReturn(std::string_view(whole).substr(after), &call)) {
      return fail("unreadable return value of " + call.name + ": " + whole.substr(after, 80));
    }
    last_is_write = call.name.starts_with("write") || call.name.starts_with("pwrite");
    log.calls_.push_back(std::move(call));
  }
  return log;
}

}  // namespace crashsim
