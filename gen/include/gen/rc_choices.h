// RcChoices: Choices drawn from RapidCheck, so that property tests run the
// same generators as the fuzz targets and crashsim, and still shrink: every
// choice is one RapidCheck pick, shrinking toward 0 (the first option, the
// shortest string), and a string is one pick. Valid only where `*gen` is
// (a property body or rc::gen::exec); Rc() wraps a generator as an rc::Gen.
// In a property body prefer *Rc(...): a counterexample then shows the value
// (through show.h), where RcChoices used directly shows the raw choices.
// Header-only, so that the gen library itself does not need RapidCheck.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include <rapidcheck.h>

#include "gen/choices.h"

namespace walproof::gen {

class RcChoices final : public Choices {
 public:
  // Uniform whatever the test's size: the generators choose shapes
  // themselves, and rc::gen::inRange alone would never pick the last
  // options of a switch in small cases.
  uint64_t Bits(int n) override {
    const uint64_t v = *rc::gen::resize(rc::kNominalSize, rc::gen::arbitrary<uint64_t>());
    return n >= 64 ? v : v & ((uint64_t{1} << n) - 1);
  }
  uint64_t Below(uint64_t n) override {
    if (n <= 1) return 0;
    return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<uint64_t>(0, n));
  }
  void Fill(char* out, size_t n, std::string_view alphabet) override {
    if (n == 0) return;
    const std::string s =
        alphabet.empty()
            ? *rc::gen::container<std::string>(n, rc::gen::arbitrary<char>())
            : *rc::gen::container<std::string>(n, rc::gen::elementOf(std::string(alphabet)));
    s.copy(out, n);
  }
};

// `f(choices)` as a RapidCheck generator: Rc([](Choices& c) { return AnyRecord(c, lim); }).
template <typename F>
auto Rc(F f) -> rc::Gen<std::decay_t<std::invoke_result_t<const F&, Choices&>>> {
  return rc::gen::exec([f] {
    RcChoices c;
    return f(c);
  });
}

}  // namespace walproof::gen
