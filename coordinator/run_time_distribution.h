#pragma once
// RunTimeDistribution: the run times of one kind's tasks, in memory that does not grow with
// the run, for the summary's percentiles. A run of a hundred million tasks must not keep a
// hundred million numbers (it kept 8 bytes a task): times are counted in logarithmic bins
// (Boost.Histogram) 1% wide, from 100 ns to about 28 hours, 22 KiB a kind. A percentile is
// read to within half a bin (0.5%); the shortest and longest are kept exactly, and no
// percentile is reported outside them (so a kind whose runs were all equal reports that time).

#include <cstdint>
#include <tuple>

#include <boost/histogram.hpp>

namespace taskfarm {

class RunTimeDistribution {
 public:
  RunTimeDistribution();

  void Add(uint64_t run_ns);
  /// The time within which `fraction` (0..1) of the runs finished, in milliseconds: the run
  /// at position floor(fraction x (count - 1)) in sorted order, to within 0.5%. 0 when empty.
  double PercentileMillis(double fraction) const;
  /// The longest run, exactly, in milliseconds; 0 when empty.
  double MaxMillis() const;
  uint64_t count() const { return count_; }

 private:
  using LogAxis = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using Histogram =
      boost::histogram::histogram<std::tuple<LogAxis>, boost::histogram::dense_storage<uint64_t>>;

  Histogram bins_;
  uint64_t count_ = 0;
  uint64_t shortest_ns_ = UINT64_MAX;
  uint64_t longest_ns_ = 0;
};

}  // namespace taskfarm
