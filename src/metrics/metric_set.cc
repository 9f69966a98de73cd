#include "metrics/metric_set.h"
#include <fmt/format.h>

#include <cmath>

namespace rampart {
namespace {

// HELP text escapes backslash and newline; label values also escape the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quote)
      out += "\\\"";
    else
      out += c;
  }
}

std::string render_labels(Labels labels) {
  std::string out;
  if (labels.size() == 0) return out;
  out += '{';
  for (const Label& l : labels) {
    if (out.size() > 1) out += ',';
    out += l.name;
    out += "=\"";
    append_escaped(out, l.value, true);
    out += '"';
  }
  out += '}';
  return out;
}

// Integers as integers (counters are read by people too); anything else in Go's float syntax,
// which fmt's shortest representation matches.
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(v));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void append_seconds(std::string& out, uint64_t us) {
  append_value(out, static_cast<double>(us) / 1e6);
}

}  // namespace

MetricSet::Family& MetricSet::family(std::string_view name, std::string_view help, Type type) {
  for (Family& f : families_)
    if (f.name == name) return f;
  families_.push_back(Family{std::string(name), std::string(help), type, {}, {}});
  return families_.back();
}

void MetricSet::add(Type type, std::string_view name, std::string_view help, double value,
                    Labels labels, std::string_view stat) {
  Family& f = family(name, help, type);
  std::string rendered = render_labels(labels);
  bool merged = false;
  for (Sample& s : f.samples)
    if (s.labels == rendered) {
      s.value += value;
      merged = true;
      break;
    }
  if (!merged) f.samples.push_back(Sample{std::move(rendered), value});
  if (!stat.empty()) this->stat(stat, static_cast<uint64_t>(value));
}

void MetricSet::counter(std::string_view name, std::string_view help, uint64_t value, Labels labels,
                        std::string_view stat) {
  add(Type::Counter, name, help, static_cast<double>(value), labels, stat);
}

void MetricSet::gauge(std::string_view name, std::string_view help, double value, Labels labels,
                      std::string_view stat) {
  add(Type::Gauge, name, help, value, labels, stat);
}

void MetricSet::histogram(std::string_view name, std::string_view help,
                          const Histogram& histogram) {
  family(name, help, Type::Histogram).histogram = histogram;
}

void MetricSet::stat(std::string_view key, uint64_t value) {
  stats_.emplace_back(std::string(key), value);
}

void MetricSet::write_family(std::string& out, const Family& f) {
  static constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram"};
  out += "# HELP ";
  out += f.name;
  out += ' ';
  append_escaped(out, f.help, false);
  out += "\n# TYPE ";
  out += f.name;
  out += ' ';
  out += kTypes[static_cast<size_t>(f.type)];
  out += '\n';
  if (f.type != Type::Histogram) {
    for (const Sample& s : f.samples) {
      out += f.name;
      out += s.labels;
      out += ' ';
      append_value(out, s.value);
      out += '\n';
    }
    return;
  }
  const Histogram& h = f.histogram;
  for (size_t i = 0; i <= Histogram::kBoundsUs.size(); ++i) {
    out += f.name;
    out += "_bucket{le=\"";
    if (i < Histogram::kBoundsUs.size())
      append_seconds(out, Histogram::kBoundsUs[i]);
    else
      out += "+Inf";
    out += "\"} ";
    append_value(out, static_cast<double>(h.cumulative(i)));
    out += '\n';
  }
  out += f.name;
  out += "_sum ";
  append_seconds(out, h.sum_us());
  out += '\n';
  out += f.name;
  out += "_count ";
  append_value(out, static_cast<double>(h.count()));
  out += '\n';
}

std::string MetricSet::exposition() const {
  std::string out;
  out.reserve(256 * families_.size());
  for (const Family& f : families_) write_family(out, f);
  return out;
}

std::string MetricSet::stats_line() const {
  std::string out;
  for (const auto& [key, value] : stats_) {
    if (!out.empty()) out += ' ';
    fmt::format_to(std::back_inserter(out), "{}={}", key, value);
  }
  return out;
}

double MetricSet::value(std::string_view name, Labels labels) const {
  std::string rendered = render_labels(labels);
  for (const Family& f : families_) {
    if (f.name != name) continue;
    for (const Sample& s : f.samples)
      if (s.labels == rendered) return s.value;
  }
  return -1;
}

}  // namespace rampart
