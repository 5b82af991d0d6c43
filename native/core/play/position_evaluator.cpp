#include "play/position_evaluator.h"

#include <torch/torch.h>

#include <cstring>
#include <limits>

#include "hex/planes.h"
#include "model/networks.h"
#include "train/trainer.h"
#include "util/error.h"

namespace hextorch::play {

struct PositionEvaluator::Impl {
  std::shared_ptr<train::Trainer> trainer;
  std::shared_ptr<model::NetworkImpl> net;
  torch::Device device{torch::kCPU};
  at::MemoryFormat layout = at::MemoryFormat::Contiguous;  // the network's own (channels-last or not)
  std::vector<float> planes;
};

std::shared_ptr<PositionEvaluator> PositionEvaluator::load(const EvaluatorOptions& options) {
  train::TrainerOptions t = train::Trainer::checkpointOptions(options.checkpoint);
  t.device = options.device;
  t.threads = options.threads;
  t.precision = "fp32";
  auto trainer = std::make_shared<train::Trainer>(t);
  trainer->load(options.checkpoint);
  return std::make_shared<PositionEvaluator>(std::move(trainer), options.maxBatch);
}

PositionEvaluator::PositionEvaluator(std::shared_ptr<train::Trainer> trainer, int maxBatch)
    : impl_(std::make_unique<Impl>()), maxBatch_(std::max(1, maxBatch)) {
  impl_->trainer = std::move(trainer);
  impl_->net = impl_->trainer->network();
  impl_->device = torch::Device(impl_->trainer->deviceName());
  if (impl_->trainer->memoryFormat() == "channels-last") impl_->layout = at::MemoryFormat::ChannelsLast;
  boardSize_ = impl_->trainer->options().boardSize;
}

PositionEvaluator::~PositionEvaluator() = default;

const std::string& PositionEvaluator::preset() const { return impl_->trainer->options().preset; }

std::string PositionEvaluator::describe() const {
  const auto& o = impl_->trainer->options();
  std::string tower =
      (o.blocks > 0 || o.channels > 0) ? " (" + std::to_string(o.blocks) + "x" + std::to_string(o.channels) + ")" : "";
  return o.preset + tower + " " + std::to_string(boardSize_) + "x" + std::to_string(boardSize_) + ", " +
         impl_->trainer->deviceName();
}

void PositionEvaluator::evaluate(const std::vector<PositionRef>& positions, Evaluations& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int cells = boardSize_ * boardSize_;
  const int total = static_cast<int>(positions.size());
  out.policy.resize(static_cast<size_t>(total) * cells);
  out.value.resize(total);
  Impl& m = *impl_;
  try {
    torch::NoGradGuard noGrad;
    m.net->eval();
    for (int first = 0; first < total; first += maxBatch_) {
      int count = std::min(maxBatch_, total - first);
      m.planes.resize(static_cast<size_t>(count) * hex::kInputPlanes * cells);
      for (int j = 0; j < count; ++j) {
        const PositionRef& p = positions[first + j];
        hex::encodePlanes(cells, p.cells, p.toMove,
                          m.planes.data() + static_cast<size_t>(j) * hex::kInputPlanes * cells);
      }
      auto input =
          torch::from_blob(m.planes.data(), {count, hex::kInputPlanes, boardSize_, boardSize_}, torch::kFloat32)
              .to(m.device)
              .contiguous(m.layout);
      auto [logits, v] = m.net->forward(input);
      auto occupied = (input.select(1, 0) + input.select(1, 1)).reshape({count, cells}).gt(0.5);
      logits = logits.to(torch::kFloat32).masked_fill(occupied, -std::numeric_limits<float>::infinity());
      // A full board has no empty cell: its row is all -inf; nan_to_num turns it into zeros.
      auto probabilities = torch::nan_to_num(torch::softmax(logits, 1), 0.0).to(torch::kCPU).contiguous();
      auto values = v.to(torch::kFloat32).reshape({count}).to(torch::kCPU).contiguous();
      std::memcpy(out.policy.data() + static_cast<size_t>(first) * cells, probabilities.data_ptr<float>(),
                  sizeof(float) * static_cast<size_t>(count) * cells);
      std::memcpy(out.value.data() + first, values.data_ptr<float>(), sizeof(float) * count);
      ++forwards_;
    }
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::Internal, std::string("position evaluation failed: ") + e.what_without_backtrace());
  }
  positions_ += total;
}

}  // namespace hextorch::play
