// A wait in a test is a condition polled until it holds or a deadline passes: a slow machine gets
// the whole timeout, a fast one goes on as soon as the condition holds, and a timeout fails with
// what the test was waiting for.
#pragma once

#include <QTest>

#include <chrono>
#include <functional>
#include <string>

namespace tally::test {

// The outcome of waitUntil: true once the condition held; otherwise message() says what was
// awaited and for how long.
class [[nodiscard]] Wait {
public:
    static Wait held() { return Wait(true, {}); }
    static Wait timedOut(std::string message) { return Wait(false, std::move(message)); }

    explicit operator bool() const { return m_held; }
    const std::string &message() const { return m_message; }

private:
    Wait(bool held, std::string message) : m_held(held), m_message(std::move(message)) {}
    bool m_held;
    std::string m_message;
};

// Calls `condition` until it returns true or `timeout` has passed; the failure message is
// "timed out after N ms waiting for <what>". The first call is at once, then at intervals that
// grow from 1 ms to `longestPause` (50 ms by default; less where the test must act soon after
// the condition holds, e.g. stop a fast job near a given event count). In between it processes
// the Qt events of the calling thread, so a QProcess learns that its program exited, sockets read
// and queued signals arrive. Call it from the thread whose events the condition depends on.
Wait waitUntil(const std::function<bool()> &condition, std::chrono::milliseconds timeout, const std::string &what,
               std::chrono::milliseconds longestPause = std::chrono::milliseconds(50));

} // namespace tally::test

// In a test function: waits as waitUntil does and fails the test with its message on a timeout.
//   TALLY_WAIT_UNTIL(QFile::exists(path), 10s, "the savepoint file");
#define TALLY_WAIT_UNTIL(condition, timeout, what)                                                                     \
    do {                                                                                                               \
        const ::tally::test::Wait tallyWait_ = ::tally::test::waitUntil([&] { return bool(condition); }, timeout, what); \
        QVERIFY2(tallyWait_, tallyWait_.message().c_str());                                                            \
    } while (false)
