#pragma once
// Gradient all-reduce overlapped with the backward pass (data and sequence parallelism): the
// trainer hands over each parameter's gradient as soon as it is final (Var::backward's
// leaf_done); gradients are packed in completion order into buckets, and a full bucket's sum
// over the world starts at once (MPI_Iallreduce) while the backward goes on (the watchdog
// thread keeps it progressing, watchdog.hpp). The trainer sizes buckets at one layer's
// parameters (train_step.cpp), so the shipped models' sums start layer by layer during the
// backward; the default, 2^22 floats (16 MB), bounds the extra memory of big models. The sums
// are elementwise, so the result does not depend on the bucketing and is identical on every
// rank. Without MPI (a world of one) every call does nothing.
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"
#include "parallel/process_grid.hpp"

namespace ln::parallel {

class GradientSum {
 public:
  explicit GradientSum(ProcessGrid& grid, int64_t bucket_floats = int64_t{1} << 22);
  ~GradientSum();  // waits for what is still in flight
  GradientSum(const GradientSum&) = delete;
  GradientSum& operator=(const GradientSum&) = delete;

  // grad (f32) is final: summed over the world in place by the time finish() returns.
  void ready(const Tensor& grad);
  // Starts the last bucket, waits for every sum and copies the results back.
  void finish();

 private:
  struct Bucket;
  void launch();
  void poll();  // lets MPI progress the sums in flight
  ProcessGrid& grid_;
  int64_t bucket_floats_;
  std::vector<Bucket> buckets_;  // the last one is filling
  double seconds_ = 0;           // inside MPI calls before finish()
  double first_launch_ = 0;      // the first bucket's start
};

}  // namespace ln::parallel
