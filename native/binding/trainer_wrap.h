// JS handle for a Trainer. Every call that touches the model runs off the JS thread
// and returns a Promise; one call at a time (a second is a HEXTORCH_BUSY error).
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>

#include "train/trainer.h"
#include "util/serial_executor.h"

namespace hextorch::binding {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // createTrainer(options): builds the model off the JS thread, resolves with a handle.
  static Napi::Value create(const Napi::CallbackInfo& info);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value trainStep(const Napi::CallbackInfo& info);
  Napi::Value takeTrainMetrics(const Napi::CallbackInfo& info);
  Napi::Value evaluateBatch(const Napi::CallbackInfo& info);
  Napi::Value takeEvalMetrics(const Napi::CallbackInfo& info);
  Napi::Value predict(const Napi::CallbackInfo& info);
  Napi::Value save(const Napi::CallbackInfo& info);
  Napi::Value load(const Napi::CallbackInfo& info);
  Napi::Value weightsDigest(const Napi::CallbackInfo& info);
  Napi::Value state(const Napi::CallbackInfo& info);
  Napi::Value describe(const Napi::CallbackInfo& info);
  void requestStop(const Napi::CallbackInfo& info);
  Napi::Value stopAgreed(const Napi::CallbackInfo& info);
  void dispose(const Napi::CallbackInfo& info);

  Napi::Value batchCall(const Napi::CallbackInfo& info, const char* what,
                        void (train::Trainer::*call)(const data::Batch&));
  Napi::Value takeMetrics(Napi::Env env, const char* what, train::MetricSums (train::Trainer::*take)());
  // Marks the trainer busy and returns it; throws when disposed or busy.
  std::shared_ptr<train::Trainer> begin(Napi::Env env, const char* what);
  std::shared_ptr<train::Trainer> get(Napi::Env env) const;

  // Calls a job with the trainer on the trainer's own thread.
  using Job = std::function<void(train::Trainer&)>;
  std::function<void()> onTrainerThread(std::shared_ptr<train::Trainer> trainer, Job job) const;

  // The trainer's counters as of the end of its last call, published by the trainer
  // thread: state() reads this, never the trainer while a step runs.
  struct Published {
    std::mutex mutex;
    train::TrainerState state;
    void set(const train::TrainerState& s) {
      std::lock_guard<std::mutex> lock(mutex);
      state = s;
    }
    train::TrainerState get() {
      std::lock_guard<std::mutex> lock(mutex);
      return state;
    }
  };

  std::shared_ptr<train::Trainer> trainer_;
  std::shared_ptr<SerialExecutor> executor_;
  std::shared_ptr<Published> published_ = std::make_shared<Published>();
  bool busy_ = false;
};

}  // namespace hextorch::binding
