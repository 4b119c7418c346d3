// Signals to a program a test started. QProcess::processId() is 0 once the program has ended (or
// before it started), and kill(0, SIG) signals the caller's whole process group: the test itself,
// ctest and the shell that started it. Every signal a test sends goes through here.
#pragma once

#include <QProcess>

#include <csignal>
#include <sys/types.h>

namespace tally::test {

// Sends `signal` to the program if it is still running; false (nothing sent) if it is not.
inline bool signalProcess(const QProcess &process, int signal)
{
    const qint64 pid = process.processId();
    return process.state() != QProcess::NotRunning && pid > 0 && ::kill(static_cast<pid_t>(pid), signal) == 0;
}

} // namespace tally::test
