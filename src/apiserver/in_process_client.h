// The API client for components inside the server process: the registry's request path
// (defaulting, validation, resourceVersion, watch fan-out) without a socket, so a component
// behaves the same whether it runs inside the server or apart from it over HTTP.
#pragma once

#include <memory>

#include "apiserver/registry.h"
#include "client/client.h"

namespace sluice::apiserver {

// The registry must outlive the client.
std::unique_ptr<client::Client> newInProcessClient(Registry& registry);

}  // namespace sluice::apiserver
