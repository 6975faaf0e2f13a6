#include <duroxide/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace duroxide {

namespace {

MetricLabels sorted(MetricLabels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

bool includes(const MetricLabels& labels, const MetricLabels& subset) {
  return std::all_of(subset.begin(), subset.end(), [&](const auto& wanted) {
    return std::find(labels.begin(), labels.end(), wanted) != labels.end();
  });
}

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string label_text(const MetricLabels& labels, std::string_view extra_name = {}, std::string_view extra = {}) {
  std::string out;
  for (const auto& [key, value] : labels) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", key, escape_label(value));
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += fmt::format("{}=\"{}\"", extra_name, extra);
  }
  if (!out.empty()) out += "}";
  return out;
}

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{}", value);
}

}  // namespace

std::vector<double> MetricsRegistry::buckets_for(std::string_view name) {
  // The default buckets (docs/runtime-features.md, "Metrics"), by what the histogram measures.
  if (name.find("history_size") != std::string_view::npos) return {10, 50, 100, 500, 1000, 5000, 10000};
  if (name.find("turns") != std::string_view::npos) return {1, 2, 5, 10, 20, 50, 100, 200, 500};
  if (name.starts_with("duroxide_provider_")) return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
  if (name.starts_with("duroxide_activity_")) return {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300};
  return {0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600};
}

MetricsRegistry::Series& MetricsRegistry::series_of(std::string_view name, Kind kind, const MetricLabels& labels) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family family{kind, kind == Kind::Histogram ? buckets_for(name) : std::vector<double>{}, {}};
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  auto& series = it->second.series[sorted(labels)];
  if (kind == Kind::Histogram && series.bucket_counts.empty())
    series.bucket_counts.assign(it->second.buckets.size(), 0);
  return series;
}

const MetricsRegistry::Series* MetricsRegistry::find(std::string_view name, const MetricLabels& labels) const {
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  auto series = it->second.series.find(sorted(labels));
  return series == it->second.series.end() ? nullptr : &series->second;
}

void MetricsRegistry::add_counter(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  series_of(name, Kind::Counter, labels).value += value;
}

void MetricsRegistry::observe_histogram(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& series = series_of(name, Kind::Histogram, labels);
  const auto& buckets = families_.find(name)->second.buckets;
  series.value += value;
  ++series.count;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (value <= buckets[i]) {
      ++series.bucket_counts[i];
      break;
    }
  }
}

void MetricsRegistry::set_gauge(std::string_view name, const MetricLabels& labels, double value) {
  std::lock_guard lock(mutex_);
  series_of(name, Kind::Gauge, labels).value = value;
}

void MetricsRegistry::add_gauge(std::string_view name, const MetricLabels& labels, double delta) {
  std::lock_guard lock(mutex_);
  auto& series = series_of(name, Kind::Gauge, labels);
  series.value = std::max(0.0, series.value + delta);
}

std::string MetricsRegistry::render_prometheus() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, family] : families_) {
    const char* type = family.kind == Kind::Counter ? "counter" : family.kind == Kind::Gauge ? "gauge" : "histogram";
    out << "# TYPE " << name << ' ' << type << '\n';
    for (const auto& [labels, series] : family.series) {
      if (family.kind != Kind::Histogram) {
        out << name << label_text(labels) << ' ' << number(series.value) << '\n';
        continue;
      }
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < family.buckets.size(); ++i) {
        cumulative += series.bucket_counts[i];
        out << name << "_bucket" << label_text(labels, "le", number(family.buckets[i])) << ' ' << cumulative << '\n';
      }
      out << name << "_bucket" << label_text(labels, "le", "+Inf") << ' ' << series.count << '\n';
      out << name << "_sum" << label_text(labels) << ' ' << number(series.value) << '\n';
      out << name << "_count" << label_text(labels) << ' ' << series.count << '\n';
    }
  }
  return out.str();
}

double MetricsRegistry::counter_value(std::string_view name, const MetricLabels& labels) const {
  std::lock_guard lock(mutex_);
  const auto* series = find(name, labels);
  return series == nullptr ? 0 : series->value;
}

double MetricsRegistry::counter_sum(std::string_view name, const MetricLabels& subset) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  double total = 0;
  for (const auto& [labels, series] : it->second.series) {
    if (includes(labels, subset)) total += series.value;
  }
  return total;
}

double MetricsRegistry::gauge_value(std::string_view name, const MetricLabels& labels) const {
  return counter_value(name, labels);
}

std::uint64_t MetricsRegistry::histogram_count(std::string_view name, const MetricLabels& subset) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  std::uint64_t total = 0;
  for (const auto& [labels, series] : it->second.series) {
    if (includes(labels, subset)) total += series.count;
  }
  return total;
}

std::vector<MetricLabels> MetricsRegistry::series(std::string_view name) const {
  std::lock_guard lock(mutex_);
  std::vector<MetricLabels> out;
  auto it = families_.find(name);
  if (it == families_.end()) return out;
  for (const auto& [labels, series] : it->second.series) out.push_back(labels);
  return out;
}

}  // namespace duroxide
