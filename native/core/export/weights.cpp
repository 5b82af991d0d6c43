#include "export/weights.h"

#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <map>

#include "export/graph_builder.h"
#include "model/networks.h"
#include "util/error.h"
#include "util/file.h"

namespace hextorch::interop {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

std::string shapeText(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t k = 0; k < t.dim(); ++k) s += (k ? "," : "") + std::to_string(t.size(k));
  return s + "]";
}

// Parameters and buffers by state-dict name, in the network's order.
std::vector<std::pair<std::string, torch::Tensor>> namedTensors(model::NetworkImpl& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
  return out;
}

// Module::save nests one archive per submodule: `blocks` / `0` / `conv1` / `weight`.
void readArchive(torch::serialize::InputArchive& archive, const std::string& prefix, TensorMap& out) {
  for (const std::string& key : archive.keys()) {
    torch::Tensor t;
    torch::serialize::InputArchive child;
    if (archive.try_read(key, t))
      out[prefix + key] = t;
    else if (archive.try_read(key, child))
      readArchive(child, prefix + key + ".", out);
  }
}

// A hextorch checkpoint: the `model` archive that Trainer::save writes.
bool readCheckpoint(const std::string& path, TensorMap& out, std::string& why) {
  try {
    torch::serialize::InputArchive archive, modelArchive;
    archive.load_from(path, torch::kCPU);
    if (!archive.try_read("model", modelArchive)) {
      why = "no 'model' entry";
      return false;
    }
    readArchive(modelArchive, "", out);
    return true;
  } catch (const c10::Error& e) {
    why = e.what_without_backtrace();
    return false;
  }
}

// A pickled dict of tensors (torch.save of a state dict, or exportStateDict).
bool readStateDict(const std::string& path, TensorMap& out, std::string& why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throwIoError("cannot open", path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    c10::IValue value = torch::pickle_load(bytes);
    if (!value.isGenericDict()) {
      why = "it holds a " + value.tagKind() + ", not a dict of tensors";
      return false;
    }
    for (const auto& item : value.toGenericDict()) {
      if (!item.key().isString() || !item.value().isTensor()) continue;
      out[item.key().toStringRef()] = item.value().toTensor();
    }
    return true;
  } catch (const c10::Error& e) {
    why = e.what_without_backtrace();
    return false;
  }
}

std::shared_ptr<model::NetworkImpl> buildNetwork(const NetworkSpec& spec, const std::string& weightsPath) {
  model::ModelConfig config;
  config.preset = spec.preset;
  config.boardSize = spec.boardSize;
  config.blocks = spec.blocks;
  config.channels = spec.channels;
  auto net = model::makeNetwork(config);
  loadWeights(*net, weightsPath);
  net->eval();
  return net;
}

}  // namespace

void loadWeights(model::NetworkImpl& net, const std::string& path) {
  if (!pathExists(path)) throw Error(ErrorCode::Io, "weights file " + path + " does not exist");
  TensorMap file;
  std::string checkpointWhy, stateDictWhy;
  if (!readCheckpoint(path, file, checkpointWhy) && !readStateDict(path, file, stateDictWhy)) {
    throw Error(ErrorCode::CorruptData, "weights file " + path + " is neither a hextorch checkpoint (" + checkpointWhy +
                                            ") nor a PyTorch state dict (" + stateDictWhy + ")");
  }
  // Every difference is named, the first few in the message.
  std::vector<std::string> differences;
  auto named = namedTensors(net);
  std::map<std::string, bool> known;
  for (const auto& [name, tensor] : named) {
    known[name] = true;
    auto found = file.find(name);
    if (found == file.end())
      differences.push_back(name + ": missing from the file (model " + shapeText(tensor) + ")");
    else if (!found->second.sizes().equals(tensor.sizes()))
      differences.push_back(name + ": file " + shapeText(found->second) + ", model " + shapeText(tensor));
  }
  for (const auto& [name, tensor] : file)
    if (!known.count(name))
      differences.push_back(name + ": in the file " + shapeText(tensor) + " but not in the model");
  if (!differences.empty()) {
    std::string message = "weights in " + path + " do not fit the model (" + std::to_string(differences.size()) +
                          " tensor" + (differences.size() > 1 ? "s differ" : " differs") + "; first:";
    for (size_t k = 0; k < differences.size() && k < 5; ++k) message += "\n  " + differences[k];
    throw Error(ErrorCode::ShapeMismatch, message + ")");
  }
  torch::NoGradGuard noGrad;
  for (auto& [name, tensor] : named) tensor.copy_(file.at(name).to(tensor.device(), tensor.scalar_type()));
}

ModelGraph exportGraph(const NetworkSpec& spec, const std::string& weightsPath) {
  auto net = buildNetwork(spec, weightsPath);
  GraphBuilder builder(*net, spec.boardSize);
  net->describe(builder);
  return builder.finish();
}

int exportStateDict(const NetworkSpec& spec, const std::string& weightsPath, const std::string& out) {
  auto net = buildNetwork(spec, weightsPath);
  c10::Dict<std::string, at::Tensor> dict;
  int count = 0;
  for (const auto& [name, tensor] : namedTensors(*net)) {
    dict.insert(name, tensor.detach().to(torch::kCPU).contiguous().clone());
    ++count;
  }
  std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) throwIoError("cannot create", out);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) throwIoError("cannot write", out);
  return count;
}

}  // namespace hextorch::interop
