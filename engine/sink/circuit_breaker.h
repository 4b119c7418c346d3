// A circuit breaker stops a sink from hammering a database that is down: after `failureThreshold`
// consecutive failed writes it opens for `openFor`; then one trial write (half-open) either closes
// it or opens it again. Time is passed in, so tests drive it without sleeping.
#pragma once

#include <chrono>
#include <string_view>

namespace tally {

class CircuitBreaker {
public:
    using Clock = std::chrono::steady_clock;
    enum class State { Closed, Open, HalfOpen };

    CircuitBreaker(int failureThreshold, Clock::duration openFor)
        : m_threshold(failureThreshold < 1 ? 1 : failureThreshold), m_openFor(openFor)
    {
    }

    // Whether a write may be tried now. An open breaker whose time is up turns half-open.
    bool allowAttempt(Clock::time_point now)
    {
        if (m_state == State::Open && now >= m_reopenAt)
            m_state = State::HalfOpen;
        return m_state != State::Open;
    }

    void onSuccess()
    {
        m_state = State::Closed;
        m_failures = 0;
    }

    void onFailure(Clock::time_point now)
    {
        ++m_failures;
        if (m_state == State::HalfOpen || m_failures >= m_threshold) {
            m_state = State::Open;
            m_reopenAt = now + m_openFor;
        }
    }

    State state() const { return m_state; }
    Clock::time_point reopenAt() const { return m_reopenAt; }
    int consecutiveFailures() const { return m_failures; }

private:
    int m_threshold;
    Clock::duration m_openFor;
    State m_state = State::Closed;
    int m_failures = 0;
    Clock::time_point m_reopenAt{};
};

constexpr std::string_view circuitStateName(CircuitBreaker::State s)
{
    switch (s) {
    case CircuitBreaker::State::Closed:
        return "closed";
    case CircuitBreaker::State::Open:
        return "open";
    case CircuitBreaker::State::HalfOpen:
        return "half_open";
    }
    return "closed";
}

} // namespace tally
