// One function per verb; each file in this folder implements one (see cli.cc for the table).
#pragma once

#include "cli/context.h"

namespace sluice::cli {

int runApply(Context& ctx);
int runCreate(Context& ctx);
int runGet(Context& ctx);
int runDescribe(Context& ctx);
int runDelete(Context& ctx);
int runScale(Context& ctx);
int runPatch(Context& ctx);
int runLabel(Context& ctx);  // label and annotate
int runSetImage(Context& ctx);
int runVersion(Context& ctx);
int runApiResources(Context& ctx);
int runRollout(Context& ctx);
int runLogs(Context& ctx);

}  // namespace sluice::cli
