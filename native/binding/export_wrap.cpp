#include "export_wrap.h"

#include <memory>

#include "convert.h"
#include "export/weights.h"
#include "promise_worker.h"

namespace hextorch::binding {
namespace {

interop::NetworkSpec readSpec(const Napi::Object& o) {
  interop::NetworkSpec spec;
  spec.preset = getString(o, "model", spec.preset);
  spec.boardSize = getInt(o, "boardSize", spec.boardSize);
  spec.blocks = getInt(o, "blocks", spec.blocks);
  spec.channels = getInt(o, "channels", spec.channels);
  return spec;
}

Napi::Array intArray(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t k = 0; k < values.size(); ++k) out.Set(static_cast<uint32_t>(k), static_cast<double>(values[k]));
  return out;
}

Napi::Array stringArray(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t k = 0; k < values.size(); ++k) out.Set(static_cast<uint32_t>(k), values[k]);
  return out;
}

// exportGraph({ model, boardSize, blocks, channels, weights }) ->
//   { boardSize, input, outputs, nodes: [{ op, name, inputs, outputs, attributes }],
//     initializers: [{ name, dims, data: Float32Array }] }
Napi::Value exportGraph(const Napi::CallbackInfo& info) {
  Napi::Object o = requireObject(info, 0, "export options");
  interop::NetworkSpec spec = readSpec(o);
  std::string weights = getString(o, "weights", "");
  auto graph = std::make_shared<interop::ModelGraph>();
  return PromiseWorker::run(
      info.Env(), [spec, weights, graph] { *graph = interop::exportGraph(spec, weights); },
      [graph](Napi::Env env) -> Napi::Value {
        Napi::Object out = Napi::Object::New(env);
        out.Set("boardSize", graph->boardSize);
        out.Set("input", graph->input);
        out.Set("outputs", stringArray(env, graph->outputs));
        Napi::Array nodes = Napi::Array::New(env, graph->nodes.size());
        for (size_t k = 0; k < graph->nodes.size(); ++k) {
          const interop::GraphNode& n = graph->nodes[k];
          Napi::Object node = Napi::Object::New(env);
          node.Set("op", n.op);
          node.Set("name", n.name);
          node.Set("inputs", stringArray(env, n.inputs));
          node.Set("outputs", stringArray(env, n.outputs));
          Napi::Object attributes = Napi::Object::New(env);
          // { name: { int } | { ints } | { float } }, as ONNX tells the kinds apart.
          auto set = [&](const std::string& name, const char* kind, Napi::Value value) {
            Napi::Object a = Napi::Object::New(env);
            a.Set(kind, value);
            attributes.Set(name, a);
          };
          for (const auto& [name, value] : n.intAttributes)
            set(name, "int", Napi::Number::New(env, static_cast<double>(value)));
          for (const auto& [name, value] : n.intListAttributes) set(name, "ints", intArray(env, value));
          for (const auto& [name, value] : n.floatAttributes) set(name, "float", Napi::Number::New(env, value));
          node.Set("attributes", attributes);
          nodes.Set(static_cast<uint32_t>(k), node);
        }
        out.Set("nodes", nodes);
        Napi::Array initializers = Napi::Array::New(env, graph->initializers.size());
        for (size_t k = 0; k < graph->initializers.size(); ++k) {
          const interop::GraphTensor& t = graph->initializers[k];
          Napi::Object tensor = Napi::Object::New(env);
          tensor.Set("name", t.name);
          tensor.Set("dims", intArray(env, t.shape));
          Napi::Float32Array data = Napi::Float32Array::New(env, t.values.size());
          std::copy(t.values.begin(), t.values.end(), data.Data());
          tensor.Set("data", data);
          initializers.Set(static_cast<uint32_t>(k), tensor);
        }
        out.Set("initializers", initializers);
        return out;
      });
}

// exportStateDict({ model, boardSize, blocks, channels, weights, out }) -> tensors written
Napi::Value exportStateDict(const Napi::CallbackInfo& info) {
  Napi::Object o = requireObject(info, 0, "export options");
  interop::NetworkSpec spec = readSpec(o);
  std::string weights = getString(o, "weights", "");
  std::string out = getString(o, "out", "");
  auto count = std::make_shared<int>(0);
  return PromiseWorker::run(
      info.Env(), [spec, weights, out, count] { *count = interop::exportStateDict(spec, weights, out); },
      [count](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *count); });
}

}  // namespace

void registerExport(Napi::Env env, Napi::Object exports) {
  exports.Set("exportGraph", Napi::Function::New(env, exportGraph, "exportGraph"));
  exports.Set("exportStateDict", Napi::Function::New(env, exportStateDict, "exportStateDict"));
}

}  // namespace hextorch::binding
