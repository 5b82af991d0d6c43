#include "export/graph_builder.h"

#include "util/error.h"

namespace hextorch::interop {

GraphBuilder::GraphBuilder(torch::nn::Module& root, int boardSize) {
  graph_.boardSize = boardSize;
  for (const auto& p : root.named_parameters(/*recurse=*/true)) names_[p.value().unsafeGetTensorImpl()] = p.key();
  for (const auto& b : root.named_buffers(/*recurse=*/true)) names_[b.value().unsafeGetTensorImpl()] = b.key();
}

std::string GraphBuilder::weight(const torch::Tensor& t) {
  auto found = names_.find(t.unsafeGetTensorImpl());
  if (found == names_.end())
    throw Error(ErrorCode::Internal, "graph export: a tensor is not a parameter or buffer of the network");
  const std::string& name = found->second;
  if (!added_[name]) {
    added_[name] = true;
    auto host = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    GraphTensor g;
    g.name = name;
    g.shape.assign(host.sizes().begin(), host.sizes().end());
    g.values.assign(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
    graph_.initializers.push_back(std::move(g));
  }
  return name;
}

GraphNode& GraphBuilder::node(const std::string& op, std::vector<std::string> inputs) {
  GraphNode n;
  n.op = op;
  n.name = op + "_" + std::to_string(counter_);
  n.inputs = std::move(inputs);
  n.outputs = {"t" + std::to_string(counter_)};
  ++counter_;
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back();
}

std::string GraphBuilder::conv(const torch::nn::Conv2dImpl& m, const std::string& x) {
  std::vector<std::string> inputs{x, weight(m.weight)};
  if (m.bias.defined()) inputs.push_back(weight(m.bias));
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&m.options.padding());
  if (!padding) throw Error(ErrorCode::Internal, "graph export: only explicit convolution padding is supported");
  const auto& k = m.options.kernel_size();
  const auto& s = m.options.stride();
  const auto& d = m.options.dilation();
  GraphNode& n = node("Conv", std::move(inputs));
  n.intListAttributes = {{"kernel_shape", {(*k)[0], (*k)[1]}},
                         {"strides", {(*s)[0], (*s)[1]}},
                         {"dilations", {(*d)[0], (*d)[1]}},
                         {"pads", {(**padding)[0], (**padding)[1], (**padding)[0], (**padding)[1]}}};
  n.intAttributes = {{"group", m.options.groups()}};
  return last();
}

std::string GraphBuilder::batchNorm(const torch::nn::BatchNorm2dImpl& m, const std::string& x) {
  GraphNode& n =
      node("BatchNormalization", {x, weight(m.weight), weight(m.bias), weight(m.running_mean), weight(m.running_var)});
  n.floatAttributes = {{"epsilon", static_cast<float>(m.options.eps())}};
  return last();
}

std::string GraphBuilder::linear(const torch::nn::LinearImpl& m, const std::string& x) {
  std::vector<std::string> inputs{x, weight(m.weight)};
  if (m.bias.defined()) inputs.push_back(weight(m.bias));
  GraphNode& n = node("Gemm", std::move(inputs));
  n.intAttributes = {{"transB", 1}};
  return last();
}

std::string GraphBuilder::relu(const std::string& x) {
  node("Relu", {x});
  return last();
}

std::string GraphBuilder::tanh(const std::string& x) {
  node("Tanh", {x});
  return last();
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) {
  node("Add", {a, b});
  return last();
}

std::string GraphBuilder::globalAveragePool(const std::string& x) {
  node("GlobalAveragePool", {x});
  return flatten(last());
}

std::string GraphBuilder::flatten(const std::string& x) {
  node("Flatten", {x}).intAttributes = {{"axis", 1}};
  return last();
}

void GraphBuilder::output(const std::string& x, const std::string& name) {
  bool produced = false;
  for (auto& n : graph_.nodes) {
    for (auto& i : n.inputs)
      if (i == x) i = name;
    for (auto& o : n.outputs) {
      if (o == x) {
        o = name;
        produced = true;
      }
    }
  }
  if (!produced) throw Error(ErrorCode::Internal, "graph export: no node produces " + x);
}

ModelGraph GraphBuilder::finish() { return std::move(graph_); }

}  // namespace hextorch::interop
