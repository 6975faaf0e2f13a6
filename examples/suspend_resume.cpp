// suspend_resume: pause an instance while something it depends on is down (docs/suspend-resume.md).
// An order waits for its "Ship" event, then books the shipment. The carrier's system is down, so an
// operator suspends the order; the event still arrives and is recorded, but the code does not run
// until the operator resumes it, and then it books the shipment with the event it got meanwhile.
//
//   suspend_resume [STORE-URL]   sqlite:PATH (default sqlite:suspend_resume.db) or postgres://…
#include <cstdio>
#include <thread>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

Task<Result<std::string>> ship_order(OrchestrationContext ctx, std::string order) {
  auto carrier = co_await ctx.schedule_wait("Ship");
  co_return co_await ctx.schedule_activity("BookShipment", order + " with " + carrier);
}

/// Polls (the example's only waiting loop) until `done` says yes or 10 s have passed.
template <class Done>
bool poll_until(Done done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "sqlite:suspend_resume.db";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  auto activities = ActivityRegistry::builder()
                        .add("BookShipment",
                             [](ActivityContext&, std::string what) -> Result<std::string> { return "booked " + what; })
                        .build();
  auto runtime =
      Runtime::start(*store, activities, OrchestrationRegistry::builder().add("ShipOrder", ship_order).build());
  Client client(*store);
  const std::string id = "order-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  const auto status_is = [&](std::string_view name) {
    auto status = client.get_orchestration_status(id);
    return status && status->name() == name;
  };

  if (!client.start_orchestration(id, "ShipOrder", "order 17") || !poll_until([&] { return status_is("Running"); })) {
    std::fprintf(stderr, "the order did not start\n");
    return 1;
  }
  // The carrier is down: pause the order.
  if (!client.suspend_instance(id, "carrier system down") || !poll_until([&] { return status_is("Suspended"); })) {
    std::fprintf(stderr, "the order was not suspended\n");
    return 1;
  }
  std::printf("suspended: %s\n", client.get_orchestration_status(id)->get_if<status::Suspended>()->reason.c_str());

  // The event arrives anyway: it is recorded, and the code does not run.
  client.raise_event(id, "Ship", "carrier-7");
  const bool recorded = poll_until([&] {
    auto history = client.read_execution_history(id, 1);
    if (!history) return false;
    for (const auto& event : *history)
      if (event.is<events::ExternalEvent>()) return true;
    return false;
  });
  std::printf("event recorded while suspended: %s; status: %s\n", recorded ? "yes" : "no",
              std::string(client.get_orchestration_status(id)->name()).c_str());

  // The carrier is back: resume, and the order goes on with the event it received.
  client.resume_instance(id, "carrier system back");
  auto final_status = client.wait_for_orchestration(id, 10s);
  runtime->shutdown();
  if (!final_status || !final_status->is_completed()) {
    std::fprintf(stderr, "the order did not complete\n");
    return 1;
  }
  std::printf("after the resume: %s\n", final_status->get_if<status::Completed>()->output.c_str());
  return 0;
}
