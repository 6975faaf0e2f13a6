#include <duroxide/tag_filter.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <duroxide/constants.hpp>

namespace duroxide {

std::set<std::string> TagFilter::checked(std::vector<std::string> tags, std::string_view factory) {
  std::set<std::string> unique(std::make_move_iterator(tags.begin()), std::make_move_iterator(tags.end()));
  if (unique.empty() || unique.size() > kMaxWorkerTags) {
    throw std::invalid_argument(
        fmt::format("TagFilter::{} takes 1 to {} distinct tags, got {}", factory, kMaxWorkerTags, unique.size()));
  }
  return unique;
}

TagFilter TagFilter::tags(std::vector<std::string> tags) {
  return TagFilter(Kind::Tags, checked(std::move(tags), "tags"));
}

TagFilter TagFilter::default_and(std::vector<std::string> tags) {
  return TagFilter(Kind::DefaultAnd, checked(std::move(tags), "default_and"));
}

bool TagFilter::matches(const std::optional<std::string>& tag) const {
  switch (kind_) {
    case Kind::DefaultOnly:
      return !tag.has_value();
    case Kind::Tags:
      return tag.has_value() && tags_.contains(*tag);
    case Kind::DefaultAnd:
      return !tag.has_value() || tags_.contains(*tag);
    case Kind::Any:
      return true;
    case Kind::None:
      return false;
  }
  return false;
}

}  // namespace duroxide
