// Semantic version parsing, canonical text, precedence and ranges.
#include <gtest/gtest.h>

#include <algorithm>

#include <duroxide/semver.hpp>

using namespace duroxide;

namespace {
Version v(std::string_view text) {
  auto parsed = Version::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error());
  return parsed.value_or(Version{});
}
}  // namespace

TEST(UnitSemver, ParsesAndPrintsCanonicalText) {
  for (const char* text : {"0.0.0", "1.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                           "1.0.0-x.7.z.92", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "0.1.27"}) {
    EXPECT_EQ(v(text).to_string(), text);
  }
  const Version parsed = v("1.2.3-rc.1+b5");
  EXPECT_EQ(parsed.major, 1u);
  EXPECT_EQ(parsed.minor, 2u);
  EXPECT_EQ(parsed.patch, 3u);
  EXPECT_EQ(parsed.pre, "rc.1");
  EXPECT_EQ(parsed.build, "b5");
}

TEST(UnitSemver, RejectsNonStrictVersionsWithAReason) {
  struct Case {
    const char* text;
    const char* fragment;
  } cases[] = {
      {"1", "expected MAJOR.MINOR.PATCH"},
      {"1.0", "expected MAJOR.MINOR.PATCH"},
      {"1.0.0.0", "expected MAJOR.MINOR.PATCH"},
      {"v1.0.0", "major 'v1' is not a number"},
      {"01.0.0", "leading zero"},
      {"1.0.0-", "empty pre-release identifier"},
      {"1.0.0-01", "pre-release identifier '01' has a leading zero"},
      {"1.0.0-a..b", "empty pre-release identifier"},
      {"1.0.0+", "empty build identifier"},
      {"1.0.0-a_b", "outside [0-9A-Za-z-]"},
      {"", "expected MAJOR.MINOR.PATCH"},
      {"99999999999999999999.0.0", "out of range"},
      {"latest", "expected MAJOR.MINOR.PATCH"},
  };
  for (const auto& c : cases) {
    auto parsed = Version::parse(c.text);
    ASSERT_FALSE(parsed.has_value()) << c.text;
    EXPECT_NE(parsed.error().find(c.fragment), std::string::npos) << c.text << ": " << parsed.error();
  }
}

TEST(UnitSemver, PrecedenceFollowsSemver) {
  // The semver.org example chain, each strictly less than the next.
  const char* chain[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                         "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
  for (std::size_t i = 0; i + 1 < std::size(chain); ++i) {
    EXPECT_LT(v(chain[i]), v(chain[i + 1])) << chain[i] << " < " << chain[i + 1];
  }
  EXPECT_EQ(v("1.2.3"), v("1.2.3"));
  EXPECT_NE(v("1.0.0+a"), v("1.0.0+b")) << "build metadata distinguishes, as a last tie-breaker";
  EXPECT_LT(v("1.0.0+a"), v("1.0.0+b"));
}

TEST(UnitSemver, HighestOfASetIsFoundByOrdering) {
  std::vector<Version> versions = {v("1.0.0"), v("2.0.0-rc.1"), v("1.10.0"), v("1.9.9")};
  EXPECT_EQ(std::max_element(versions.begin(), versions.end())->to_string(), "2.0.0-rc.1");
}

TEST(UnitSemverRange, InclusiveBoundsAndDefault) {
  const SemverRange range{v("0.1.0"), v("0.1.27")};
  EXPECT_TRUE(range.contains(v("0.1.0")));
  EXPECT_TRUE(range.contains(v("0.1.27")));
  EXPECT_TRUE(range.contains(v("0.1.5")));
  EXPECT_FALSE(range.contains(v("0.1.28")));
  EXPECT_FALSE(range.contains(v("0.0.9")));
  const auto def = SemverRange::default_supported();
  EXPECT_EQ(def.min.to_string(), "0.0.0");
  EXPECT_EQ(def.max.to_string(), "0.1.30");
  EXPECT_TRUE(def.contains(v("0.1.27")));
  // Histories written by duroxide 0.1.28 to 0.1.30 (a store moved from duroxide) replay by default.
  EXPECT_TRUE(def.contains(v("0.1.30")));
  EXPECT_FALSE(def.contains(v("0.1.31")));
  EXPECT_FALSE(def.contains(v("0.2.0")));
}
