#include "cli/flags.h"

namespace sluice::cli {

std::string Flags::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return fallback;
  return it->second.back();
}

bool Flags::getBool(const std::string& name) const {
  auto v = get(name, "false");
  return v == "true" || v == "1" || v == "True" || v == "TRUE";
}

std::vector<std::string> Flags::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

api::Result<Flags> parseFlags(const std::vector<std::string>& argv,
                              const std::vector<FlagSpec>& specs) {
  Flags flags;
  auto byName = [&](const std::string& n) -> const FlagSpec* {
    for (const auto& s : specs)
      if (s.name == n) return &s;
    return nullptr;
  };
  auto byShort = [&](char c) -> const FlagSpec* {
    for (const auto& s : specs)
      if (s.shorthand == c) return &s;
    return nullptr;
  };
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      for (++i; i < argv.size(); ++i) flags.args.push_back(argv[i]);
      break;
    }
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      std::string name = a.substr(2);
      std::string value;
      bool hasValue = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        hasValue = true;
      }
      const FlagSpec* spec = byName(name);
      if (!spec) return api::Error::badRequest("unknown flag: --" + name);
      if (spec->takesValue && !hasValue) {
        if (i + 1 >= argv.size())
          return api::Error::badRequest("flag needs an argument: --" + name);
        value = argv[++i];
      } else if (!spec->takesValue && !hasValue) {
        value = "true";
      }
      flags.values_[name].push_back(value);
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      // Shorthands, possibly combined (-it) or with an attached value (-nfoo, -n=foo, -oyaml).
      for (size_t j = 1; j < a.size(); ++j) {
        const FlagSpec* spec = byShort(a[j]);
        if (!spec)
          return api::Error::badRequest(std::string("unknown shorthand flag: '") + a[j] + "' in " +
                                        a);
        if (!spec->takesValue) {
          if (j + 1 < a.size() && a[j + 1] == '=') {
            flags.values_[spec->name].push_back(a.substr(j + 2));
            break;
          }
          flags.values_[spec->name].push_back("true");
          continue;
        }
        std::string value;
        if (j + 1 < a.size()) {
          value = a.substr(j + 1);
          if (!value.empty() && value[0] == '=') value = value.substr(1);
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          return api::Error::badRequest(std::string("flag needs an argument: '") + a[j] + "' in " +
                                        a);
        }
        flags.values_[spec->name].push_back(value);
        break;
      }
      continue;
    }
    flags.args.push_back(a);
  }
  for (const auto& s : specs)
    if (!s.defaultValue.empty() && !flags.has(s.name))
      flags.values_[s.name].push_back(s.defaultValue);
  return flags;
}

}  // namespace sluice::cli
