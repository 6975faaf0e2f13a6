// rewind_failed_instance: take a failed instance back to before its failure (docs/rewind.md).
// An order is charged, then its invoice is sent. The invoice service has a bug (it cannot handle
// an amount with cents), so the order fails after the card was charged. Starting a new order
// would charge the card again; instead the bug is fixed and the failed order is rewound: only
// the invoice step runs again, the charge is kept, and the order completes.
//
//   rewind_failed_instance [STORE-URL]   sqlite:PATH (default sqlite:rewind_failed_instance.db) or postgres://…
#include <atomic>
#include <cstdio>
#include <thread>

#include <duroxide/duroxide.hpp>

using namespace duroxide;
using namespace std::chrono_literals;

/// Stands in for a deployment: false until the invoice bug is fixed.
std::atomic<bool> g_invoice_fixed{false};
std::atomic<int> g_charges{0};

Task<Result<std::string>> process_order(OrchestrationContext ctx, std::string amount) {
  auto receipt = co_await ctx.schedule_activity("Charge", amount);
  if (!receipt) co_return std::unexpected("charge failed: " + receipt.error());
  auto invoice = co_await ctx.schedule_activity("SendInvoice", *receipt);
  if (!invoice) co_return std::unexpected("invoice failed: " + invoice.error());
  co_return *invoice;
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
  const std::string url = argc > 1 ? argv[1] : "sqlite:rewind_failed_instance.db";
  auto store = open_store(url);
  if (!store) {
    std::fprintf(stderr, "cannot open %s: %s\n", url.c_str(), store.error().to_string().c_str());
    return 1;
  }
  auto activities = ActivityRegistry::builder()
                        .add("Charge",
                             [](ActivityContext&, std::string amount) -> Result<std::string> {
                               ++g_charges;
                               return "receipt for " + amount;
                             })
                        .add("SendInvoice",
                             [](ActivityContext&, std::string receipt) -> Result<std::string> {
                               if (!g_invoice_fixed) return std::unexpected("cannot format an amount with cents");
                               return "invoice sent with " + receipt;
                             })
                        .build();
  auto runtime =
      Runtime::start(*store, activities, OrchestrationRegistry::builder().add("ProcessOrder", process_order).build());
  Client client(*store);
  const std::string id = "order-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());

  if (!client.start_orchestration(id, "ProcessOrder", "EUR 12.50")) {
    std::fprintf(stderr, "the order did not start\n");
    return 1;
  }
  auto failed = client.wait_for_orchestration(id, 10s);
  if (!failed || !failed->is_failed()) {
    std::fprintf(stderr, "the order was expected to fail\n");
    return 1;
  }
  std::printf("failed: %s\n", failed->get_if<status::Failed>()->details.display_message().c_str());

  // The fix is deployed; the failed order goes back to before its failure.
  g_invoice_fixed = true;
  if (auto rewound = client.rewind_instance(id, "invoice bug fixed"); !rewound) {
    std::fprintf(stderr, "rewind refused: %s\n", rewound.error().to_string().c_str());
    return 1;
  }
  // The status is Failed until a runtime carries the rewind out: wait for it to change.
  const bool completed = poll_until([&] {
    auto status = client.get_orchestration_status(id);
    return status && status->is_completed();
  });
  runtime->shutdown();
  if (!completed) {
    std::fprintf(stderr, "the order did not complete after the rewind\n");
    return 1;
  }
  std::printf("after the rewind: %s\n",
              client.get_orchestration_status(id)->get_if<status::Completed>()->output.c_str());
  std::printf("card charged %d time(s)\n", g_charges.load());
  return 0;
}
