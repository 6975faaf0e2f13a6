// TagFilter: which activity routing tags a worker fetches (docs/runtime-features.md, "Activity tags").
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace duroxide {

/// DefaultOnly (untagged activities only; the default), Tags (only the listed tags),
/// DefaultAnd (untagged plus the listed tags), Any (everything), None (nothing: an
/// orchestration-only runtime). Tags and DefaultAnd take 1 to kMaxWorkerTags (5) tags.
class TagFilter {
 public:
  enum class Kind { DefaultOnly, Tags, DefaultAnd, Any, None };

  TagFilter() = default;
  static TagFilter default_only() { return TagFilter(Kind::DefaultOnly, {}); }
  /// Throws std::invalid_argument unless 1 to 5 tags are given.
  static TagFilter tags(std::vector<std::string> tags);
  /// Throws std::invalid_argument unless 1 to 5 tags are given.
  static TagFilter default_and(std::vector<std::string> tags);
  static TagFilter any() { return TagFilter(Kind::Any, {}); }
  static TagFilter none() { return TagFilter(Kind::None, {}); }

  Kind kind() const { return kind_; }
  const std::set<std::string>& tag_set() const { return tags_; }
  /// Whether an activity with this tag (absent = untagged) passes the filter.
  bool matches(const std::optional<std::string>& tag) const;

  bool operator==(const TagFilter&) const = default;

 private:
  TagFilter(Kind kind, std::set<std::string> tags) : kind_(kind), tags_(std::move(tags)) {}
  static std::set<std::string> checked(std::vector<std::string> tags, std::string_view factory);

  Kind kind_ = Kind::DefaultOnly;
  std::set<std::string> tags_;
};

}  // namespace duroxide
