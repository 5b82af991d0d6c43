// Averages gradients over the ranks, as DDP's reducer does: parameters are packed in
// buckets of about 25 MB (in reverse registration order, roughly the order backward
// produces their gradients), each bucket one flat buffer and one all-reduce. Hooks on
// the parameters copy each gradient into its bucket as backward produces it, and a full
// bucket is all-reduced at once (asynchronously, on Gloo's threads) while backward goes
// on with the layers before it: communication overlaps the rest of backward. Buckets
// are launched strictly in bucket order, so every rank issues the same collectives in
// the same order. finish() waits, divides by the world size and writes the averages
// into the .grad of every parameter.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "dist/c10d_compat.h"
#include "dist/communicator.h"

namespace hextorch::dist {

class GradientReducer {
 public:
  static constexpr size_t kDefaultBucketBytes = 25u << 20;

  GradientReducer(Communicator& communicator, std::vector<torch::Tensor> parameters,
                  size_t bucketBytes = kDefaultBucketBytes);

  // Call before backward: forgets the previous step's arrivals.
  void prepare();
  // Call after backward: launches what is left, waits, averages into the .grad fields.
  void finish();

  size_t buckets() const { return buckets_.size(); }
  int64_t bytesPerStep() const { return bytes_; }
  // Time spent in finish() waiting for all-reduces (not hidden behind backward).
  double waitSeconds() const { return waitSeconds_; }

 private:
  struct Bucket {
    std::vector<size_t> parameters;  // indices into parameters_
    std::vector<int64_t> offsets;
    torch::Tensor buffer;
    size_t pending = 0;
    compat::WorkPtr work;
    bool launched = false;
  };
  void arrived(size_t parameter, const torch::Tensor& grad);
  void launchReady();

  Communicator& communicator_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::pair<size_t, size_t>> slot_;  // parameter → (bucket, index in bucket)
  std::vector<bool> arrived_;
  std::vector<Bucket> buckets_;
  size_t nextLaunch_ = 0;
  int64_t bytes_ = 0;
  double waitSeconds_ = 0;
};

}  // namespace hextorch::dist
