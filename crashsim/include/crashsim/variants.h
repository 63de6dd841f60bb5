// The named variants: deliberately broken versions of the reference, which
// `crashsim selftest` must catch, and emulations of upstream writer
// behaviour, which the prometheus-2.42 scenarios run under.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "crashsim/variant.h"

namespace crashsim {

// Broken variants, in the order selftest runs them.
std::vector<std::string> BrokenVariantNames();
// Every name MakeVariant knows.
std::vector<std::string> AllVariantNames();
// Null for an unknown name.
std::unique_ptr<Variant> MakeVariant(const std::string& name);

std::unique_ptr<Variant> MakeBrokenVariant(const std::string& name);
std::unique_ptr<Variant> MakeUpstreamVariant(const std::string& name);
std::vector<std::string> UpstreamVariantNames();

// Fragment walking shared by the variants: calls fn(offset, type, length) for
// each fragment header of a segment's bytes, stopping at anything malformed.
// `base` is the file offset of data[0] (page boundaries are file offsets).
template <typename Fn>
void ForEachFragment(std::string_view data, uint64_t base, Fn fn);

}  // namespace crashsim

#include "crashsim/variants_inl.h"
