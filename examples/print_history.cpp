// print_history: prints the stored history of orchestration instances, every execution of each,
// one event a line with its id, kind and JSON wire form. Run it on the file another example
// wrote (e.g. after `hello_world sqlite:hello_world.db`).
//
//   print_history STORE-URL [INSTANCE]     (sqlite:PATH or postgres://…; no INSTANCE: every instance)
//
// Exit status 1, with the reason on stderr, when the store file or the instance does not exist.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <duroxide/duroxide.hpp>

using namespace duroxide;

namespace {

/// The file of a "sqlite:PATH" or "sqlite://PATH" URL.
std::string path_of(std::string url) {
  for (const std::string prefix : {"sqlite://", "sqlite:"}) {
    if (url.starts_with(prefix)) return url.substr(prefix.size());
  }
  return url;
}

bool print_instance(const Client& client, const std::string& instance) {
  auto executions = client.list_executions(instance);
  if (!executions && executions.error().kind != ClientError::Kind::InstanceNotFound) {
    std::fprintf(stderr, "cannot read '%s': %s\n", instance.c_str(), executions.error().to_string().c_str());
    return false;
  }
  if (!executions || executions->empty()) {
    std::fprintf(stderr, "no instance '%s' in the store\n", instance.c_str());
    return false;
  }
  std::printf("instance %s\n", instance.c_str());
  for (const auto execution : *executions) {
    auto history = client.read_execution_history(instance, execution);
    if (!history) {
      std::fprintf(stderr, "cannot read execution %llu of '%s': %s\n", static_cast<unsigned long long>(execution),
                   instance.c_str(), history.error().to_string().c_str());
      return false;
    }
    std::printf("  execution %llu\n", static_cast<unsigned long long>(execution));
    for (const auto& event : *history) {
      std::printf("    %llu %s %s\n", static_cast<unsigned long long>(event.event_id),
                  std::string(event.type_name()).c_str(), serialize_event(event).c_str());
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: print_history STORE-URL [INSTANCE]   (sqlite:PATH or postgres://...)\n");
    return 2;
  }
  const std::string url = argv[1];
  // Opening a missing file would create an empty store: say that it is missing instead.
  if (url.rfind("sqlite:", 0) == 0 && !std::filesystem::exists(path_of(url))) {
    std::fprintf(stderr, "no store at %s\n", path_of(url).c_str());
    return 1;
  }
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  Client client(*store);
  std::vector<std::string> instances;
  if (argc == 3) {
    instances.emplace_back(argv[2]);
  } else if (auto all = client.list_all_instances(); all) {
    instances = std::move(*all);
  } else {
    std::fprintf(stderr, "cannot list the instances of %s: %s\n", url.c_str(), all.error().to_string().c_str());
    return 1;
  }
  for (const auto& instance : instances) {
    if (!print_instance(client, instance)) return 1;
  }
  return 0;
}
