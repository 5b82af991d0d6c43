// A network as a portable graph of ONNX operators with its weights, described by the
// network itself (model/networks.cpp) in eval mode: BatchNorm as BatchNormalization
// with its running statistics, dropout omitted. No LibTorch here: the binding turns it
// into JS objects and the TypeScript side into an ONNX file.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hextorch::interop {

struct GraphTensor {
  std::string name;  // the state-dict name (`blocks.0.conv1.weight`)
  std::vector<int64_t> shape;
  std::vector<float> values;
};

struct GraphNode {
  std::string op;  // ONNX operator (opset 13)
  std::string name;
  std::vector<std::string> inputs, outputs;
  std::vector<std::pair<std::string, int64_t>> intAttributes;
  std::vector<std::pair<std::string, std::vector<int64_t>>> intListAttributes;
  std::vector<std::pair<std::string, float>> floatAttributes;
};

struct ModelGraph {
  int boardSize = 0;
  // Input `planes` [B,3,N,N]; outputs `policy` logits [B,N*N] and `value` [B,1] in
  // [-1, 1], +1 = Red wins.
  std::string input = "planes";
  std::vector<std::string> outputs{"policy", "value"};
  std::vector<GraphNode> nodes;
  std::vector<GraphTensor> initializers;
};

}  // namespace hextorch::interop
