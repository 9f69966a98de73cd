// The daemon's numbers in two forms from one list: the Prometheus text exposition (format
// 0.0.4, for GetMetrics and the node_exporter textfile) and the "stats:" line that SIGUSR1
// logs. Pure: it is handed values and prints text; it never asks anyone for them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/histogram.h"
namespace rampart {

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::initializer_list<Label>;

// The exposition's content type, for HTTP answers and documentation.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

class MetricSet {
 public:
  // One sample. A family's samples may be added in any order and are printed together, with
  // the HELP of the first. Samples of a family with equal labels add up (two commands whose
  // blocks go to the same backend). `stat`: this sample's key in the stats line, "" for none.
  // Counter names end in _total (promtool insists).
  void counter(std::string_view name, std::string_view help, uint64_t value, Labels labels = {},
               std::string_view stat = {});
  void gauge(std::string_view name, std::string_view help, double value, Labels labels = {},
             std::string_view stat = {});
  void histogram(std::string_view name, std::string_view help, const Histogram& histogram);
  // A key=value of the stats line alone (a sum, or a number that is no metric of its own).
  void stat(std::string_view key, uint64_t value);

  // The text exposition format 0.0.4, every family once, in the order they were first added.
  std::string exposition() const;
  // "key=value key=value ...", in the order they were added.
  std::string stats_line() const;

  // The value of one sample (-1 when there is none), for tests and checks.
  double value(std::string_view name, Labels labels = {}) const;

 private:
  enum class Type : uint8_t { Counter, Gauge, Histogram };
  struct Sample {
    std::string labels;  // rendered: {a="x",b="y"} or ""
    double value = 0;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type = Type::Counter;
    std::vector<Sample> samples;
    Histogram histogram;
  };

  Family& family(std::string_view name, std::string_view help, Type type);
  void add(Type type, std::string_view name, std::string_view help, double value, Labels labels,
           std::string_view stat);
  static void write_family(std::string& out, const Family& f);

  std::vector<Family> families_;
  std::vector<std::pair<std::string, uint64_t>> stats_;
};

}  // namespace rampart
