// Polling a test's condition until a deadline (see wait.h).
#include "support/wait.h"

#include <QCoreApplication>
#include <QEvent>

#include <algorithm>
#include <thread>

namespace tally::test {

Wait waitUntil(const std::function<bool()> &condition, std::chrono::milliseconds timeout, const std::string &what,
               std::chrono::milliseconds longestPause)
{
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + timeout;
    std::chrono::milliseconds pause = std::min(std::chrono::milliseconds(1), longestPause);
    for (;;) {
        if (condition())
            return Wait::held();
        const auto now = Clock::now();
        if (now >= deadline)
            return Wait::timedOut("timed out after " + std::to_string(timeout.count()) + " ms waiting for " + what);
        // As QTest::qWait does: the thread's events, objects deleted later, then a short sleep.
        if (QCoreApplication::instance()) {
            QCoreApplication::processEvents(QEventLoop::AllEvents);
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
        pause = std::min(pause * 2, longestPause);
    }
}

} // namespace tally::test
