// Command-line flags with kubectl's (pflag's) syntax: `--name value`, `--name=value`, `-n value`,
// `-nvalue`, `-n=value`, boolean `--flag`/`--flag=false`, flags anywhere among the arguments,
// and `--` ending flag parsing.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/error.h"

namespace sluice::cli {

struct FlagSpec {
  FlagSpec(std::string name, char shorthand, bool takesValue, std::string help,
           std::string defaultValue = "")
      : name(std::move(name)),
        shorthand(shorthand),
        takesValue(takesValue),
        help(std::move(help)),
        defaultValue(std::move(defaultValue)) {}
  std::string name;    // "namespace"
  char shorthand = 0;  // 'n'
  bool takesValue = true;
  std::string help;
  std::string defaultValue;
};

class Flags {
 public:
  // Values as given; the last one wins for `get`, all are kept for `all`.
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  bool getBool(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  std::vector<std::string> args;  // positional arguments

  friend api::Result<Flags> parseFlags(const std::vector<std::string>& argv,
                                       const std::vector<FlagSpec>& specs);

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

// Errors read like kubectl's: `unknown flag: --foo`, `flag needs an argument: 'n' in -n`.
api::Result<Flags> parseFlags(const std::vector<std::string>& argv,
                              const std::vector<FlagSpec>& specs);

}  // namespace sluice::cli
