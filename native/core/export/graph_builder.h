// Records a network's eval-mode forward pass as ONNX operators. Networks describe
// themselves with it next to their forward() (model/networks.cpp), so the graph and the
// LibTorch forward live in one file.
#pragma once
#include <torch/torch.h>

#include <string>
#include <unordered_map>

#include "export/graph.h"

namespace hextorch::interop {

class GraphBuilder {
 public:
  // `root`: the whole network, whose parameter and buffer names become the weights' names.
  GraphBuilder(torch::nn::Module& root, int boardSize);

  const std::string& input() const { return graph_.input; }
  std::string conv(const torch::nn::Conv2dImpl& m, const std::string& x);
  std::string batchNorm(const torch::nn::BatchNorm2dImpl& m, const std::string& x);
  std::string linear(const torch::nn::LinearImpl& m, const std::string& x);
  std::string relu(const std::string& x);
  std::string tanh(const std::string& x);
  std::string add(const std::string& a, const std::string& b);
  // Mean over the board: [B,C,H,W] -> [B,C].
  std::string globalAveragePool(const std::string& x);
  // [B,C,H,W] -> [B,C*H*W].
  std::string flatten(const std::string& x);
  // Names the graph output `name` (policy or value) after the node producing `x`.
  void output(const std::string& x, const std::string& name);

  ModelGraph finish();

 private:
  std::string weight(const torch::Tensor& t);
  GraphNode& node(const std::string& op, std::vector<std::string> inputs);
  std::string last() const { return graph_.nodes.back().outputs.front(); }

  ModelGraph graph_;
  std::unordered_map<const void*, std::string> names_;
  std::unordered_map<std::string, bool> added_;
  int counter_ = 0;
};

}  // namespace hextorch::interop
