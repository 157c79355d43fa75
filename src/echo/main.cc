// `sluice-http-echo`: the built-in http-echo image as an executable of its own. It is the same
// server as `sluice http-echo`, linked with nothing but libstdc++, Boost.JSON and CLI11, so a pod
// that runs it maps a fraction of the pages the whole sluice binary and its TLS, SQLite and YAML
// libraries would (RSS about 4.0 MiB instead of 7.5). Catalogs name it "{http-echo}".
#include "echo/http_echo.h"

int main(int argc, char** argv) {
  return sluice::echo::runHttpEcho(argc, argv);
}
