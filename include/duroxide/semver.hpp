// Semantic versions (semver 2.0: MAJOR.MINOR.PATCH[-pre][+build]) and inclusive version ranges.
// Used for handler versions in registries and for the duroxide version an execution is pinned to.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include <duroxide/result.hpp>

namespace duroxide {

/// A parsed semantic version. Ordering follows semver precedence (a pre-release sorts before its
/// release; numeric identifiers compare numerically), with build metadata as the final tie-breaker
/// so that the order is total.
struct Version {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::string pre;    ///< pre-release identifiers without the '-', empty if none
  std::string build;  ///< build metadata without the '+', empty if none

  /// Strict parse: exactly three numeric parts without leading zeros, optional pre-release and
  /// build metadata of [0-9A-Za-z-] identifiers. Errors name the problem.
  static Result<Version> parse(std::string_view text);

  /// Canonical text, e.g. "1.2.3-rc.1+build.5".
  std::string to_string() const;

  std::strong_ordering operator<=>(const Version& other) const;
  bool operator==(const Version& other) const = default;
};

/// An inclusive range [min, max] of versions.
struct SemverRange {
  Version min;
  Version max;

  bool contains(const Version& v) const { return min <= v && v <= max; }
  bool operator==(const SemverRange&) const = default;

  /// [0.0.0, kMaxReplayableDuroxideVersion]: what this library replays by default.
  static SemverRange default_supported();
};

}  // namespace duroxide
