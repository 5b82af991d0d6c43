// Reading plain option objects that TypeScript already validated: only types and
// presence are re-checked here.
#pragma once
#include <napi.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hextorch::binding {

double getNumber(const Napi::Object& o, const char* key, double fallback);
int getInt(const Napi::Object& o, const char* key, int fallback);
uint64_t getUint64(const Napi::Object& o, const char* key, uint64_t fallback);
bool getBool(const Napi::Object& o, const char* key, bool fallback);
std::string getString(const Napi::Object& o, const char* key, const std::string& fallback);
std::vector<std::string> getStrings(const Napi::Object& o, const char* key);
Napi::Object requireObject(const Napi::CallbackInfo& info, size_t index, const char* what);
// A JSON value as the equivalent JS value (numbers as doubles).
Napi::Value fromJson(Napi::Env env, const nlohmann::json& value);

}  // namespace hextorch::binding
