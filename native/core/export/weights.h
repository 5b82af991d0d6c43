// A network's weights in and out of hextorch: the eval-mode graph for ONNX, a PyTorch
// state dict (the zip/pickle format Python's torch.load opens), and loading weights
// from a hextorch checkpoint or a state dict. No LibTorch in this header.
#pragma once
#include <string>

#include "export/graph.h"

namespace hextorch::model {
struct NetworkImpl;
}

namespace hextorch::interop {

// The network to rebuild: the model options a checkpoint was made with.
struct NetworkSpec {
  std::string preset = "tiny";
  int boardSize = 13;
  int blocks = 0;
  int channels = 0;
};

// Loads the weights of a hextorch checkpoint file (Trainer::save) or of a PyTorch state
// dict (torch.save(model.state_dict()) or an export) into `net`, on its device. Every
// parameter and buffer must be present with its shape: otherwise a ShapeMismatch error
// lists the first differing tensors (missing, unexpected, other shape).
void loadWeights(model::NetworkImpl& net, const std::string& path);

// The network of `spec` with the weights of `weightsPath`, as an ONNX operator graph.
ModelGraph exportGraph(const NetworkSpec& spec, const std::string& weightsPath);

// The same weights as a PyTorch state dict file; returns the number of tensors written.
int exportStateDict(const NetworkSpec& spec, const std::string& weightsPath, const std::string& out);

}  // namespace hextorch::interop
