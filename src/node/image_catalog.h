// The image catalog: how a container image reference runs as a local process.
//
// sluice runs pods as local processes, so an "image" is a name for a command line. A catalog is
// a YAML file (in the data dir, plus any given on the command line):
//
//   images:
//     - image: "example.com/nginx:v1"        # an exact reference
//       command: ["{http-echo}"]              # the entrypoint; see the placeholders below
//       args: ["--text", "Nginx-v1"]          # default arguments (Docker's CMD)
//       env: {GREETING: hi}                   # the image's environment
//       workingDir: /tmp
//     - image: "myapp:*"                      # '*' matches any run of characters
//       command: ["/usr/bin/env"]
//
// Placeholders: "{sluice}" in any string is this sluice binary. "{http-echo}" as the command's
// first element is the built-in HTTP server: the small `sluice-http-echo` executable beside
// sluice when it is there, else `{sluice} http-echo` (the same server inside the big binary).
//
// Resolution: an exact entry for the image wins; otherwise the first wildcard entry (in catalog
// order) that matches. References compare as container runtimes compare them: "nginx",
// "nginx:latest", "docker.io/library/nginx" and "docker.io/library/nginx:latest" are one image.
// An image no entry matches resolves to nothing, and the caller reports ErrImagePull as
// Kubernetes does for an image it cannot pull.
//
// Everything here is pure (no I/O) except currentExecutablePath().
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/error.h"

namespace sluice::node {

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

// What an image brings, as Docker's image config does.
struct ImageSpec {
  std::vector<std::string> command;  // the entrypoint (Docker's ENTRYPOINT)
  std::vector<std::string> args;     // default arguments (Docker's CMD)
  std::vector<EnvVar> env;           // names unique, in file order
  std::string workingDir;            // "" = unset
  bool operator==(const ImageSpec&) const = default;
};

struct CatalogEntry {
  std::string pattern;  // an image reference, or one with '*' wildcards
  ImageSpec spec;
  std::string source;  // the file the entry came from, for messages
};

struct ResolvedImage {
  std::string pattern;  // the entry that matched
  std::string source;
  ImageSpec spec;  // with the placeholders expanded
};

class ImageCatalog {
 public:
  ImageCatalog() = default;

  // Parses a catalog file. `source` names the file in errors, which are BadRequest and say
  // which entry and field is wrong, e.g.
  //   image catalog images.yaml: images[2].args[1]: must be a string, got 80 (quote it: "80")
  // An empty document is an empty catalog. Unknown fields are errors (they are usually typos),
  // as is the same image listed twice in one file.
  static api::Result<ImageCatalog> parse(std::string_view text, std::string_view source);

  // Adds `later`'s entries over this catalog's: an entry of `later` replaces one here for the
  // same image (the same pattern, or the same image written another way). `later`'s entries
  // come first, so its wildcards are tried before this catalog's.
  void merge(const ImageCatalog& later);

  // The entry for `image`, with "{sluice}" in every string replaced by `sluiceBinary` and a
  // leading "{http-echo}" by `httpEchoBinary` (or by `sluiceBinary` "http-echo" when that is
  // empty); nullopt when no entry matches.
  std::optional<ResolvedImage> resolve(std::string_view image, std::string_view sluiceBinary,
                                       std::string_view httpEchoBinary = {}) const;

  const std::vector<CatalogEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<CatalogEntry> entries_;
};

// The fully qualified form of an image reference, as container runtimes normalise it:
//   "nginx"                  → "docker.io/library/nginx:latest"
//   "user/app:v2"            → "docker.io/user/app:v2"
//   "example.com/nginx:v1"   → "example.com/nginx:v1"
//   "localhost:5000/app"     → "localhost:5000/app:latest"
//   "app@sha256:abc"         → "docker.io/library/app@sha256:abc" (a digest gets no tag)
std::string canonicalImageReference(std::string_view image);

// Whether `text` matches `pattern`, where '*' matches any run of characters (including none,
// '/' and ':') and every other character matches itself.
bool wildcardMatch(std::string_view pattern, std::string_view text);

// Kubernetes' $(VAR) expansion (k8s.io/kubernetes/third_party/forked/golang/expansion):
// "$(NAME)" becomes lookup(NAME) when that has a value and stays as written when not; "$$"
// becomes "$"; any other "$" is kept. Example with A=1: "$(A)-$$(A)-$(B)-$x" → "1-$(A)-$(B)-$x".
using EnvLookup = std::function<std::optional<std::string_view>(std::string_view name)>;
std::string expandReferences(std::string_view input, const EnvLookup& lookup);

// What the node runtime knows about a container beyond its spec.
struct ContainerContext {
  // Environment the runtime provides (POD_IP, PORT, POD_NAME, PATH, ...). It overrides the
  // image's env and is overridden by the container's, and it is visible to $(VAR) references
  // as the service variables the kubelet injects are.
  std::vector<EnvVar> runtimeEnv;
  // The pod, for env entries with valueFrom.fieldRef; may be null when none uses it.
  const boost::json::value* pod = nullptr;
};

// The process to start for a container.
struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is the program: a path, or a name to find in PATH
  std::vector<EnvVar> env;        // the complete environment, names unique
  std::string workingDir;         // "" = the runtime's choice
};

// Builds the process for `container` (a Kubernetes Container object) from its image, with
// Kubernetes' semantics:
// - the container's `command` replaces the image's entrypoint, and then the image's default
//   args are dropped; the container's `args` replace the image's default args;
// - `env` entries (`value`, or `valueFrom.fieldRef` on the pod) apply over the image env and
//   the runtime env; a value's $(VAR) references see the entries before it and the runtime env;
// - $(VAR) references in command and args expand from the container env and the runtime env,
//   never from the image env (the kubelet does not know it either);
// - the container's `workingDir` replaces the image's.
// Errors (BadRequest; the runtime reports them as CreateContainerConfigError) name the field:
// no command at all, malformed entries, and env sources sluice cannot read (secretKeyRef,
// configMapKeyRef, resourceFieldRef, envFrom).
api::Result<ProcessSpec> buildProcessSpec(const ImageSpec& image,
                                          const boost::json::value& container,
                                          const ContainerContext& context = {});

// The path of the running executable (/proc/self/exe), for "{sluice}"; "" when unknown.
std::string currentExecutablePath();

}  // namespace sluice::node
