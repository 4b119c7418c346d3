// A Status is the outcome of an operation that can fail for expected reasons (I/O, bad input,
// a refused connection); Result<T> is a value or the Status that explains its absence.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tally {

class [[nodiscard]] Status {
public:
    enum class Code { Ok, InvalidArgument, NotFound, IoError, Corruption, Unavailable, Aborted, Internal, Unimplemented };

    Status() = default;
    static Status ok() { return {}; }
    static Status invalidArgument(std::string msg) { return {Code::InvalidArgument, std::move(msg)}; }
    static Status notFound(std::string msg) { return {Code::NotFound, std::move(msg)}; }
    static Status ioError(std::string msg) { return {Code::IoError, std::move(msg)}; }
    static Status corruption(std::string msg) { return {Code::Corruption, std::move(msg)}; }
    static Status unavailable(std::string msg) { return {Code::Unavailable, std::move(msg)}; }
    static Status aborted(std::string msg) { return {Code::Aborted, std::move(msg)}; }
    static Status internal(std::string msg) { return {Code::Internal, std::move(msg)}; }
    static Status unimplemented(std::string msg) { return {Code::Unimplemented, std::move(msg)}; }

    bool isOk() const { return m_code == Code::Ok; }
    explicit operator bool() const { return isOk(); }
    Code code() const { return m_code; }
    const std::string &message() const { return m_message; }
    std::string toString() const;

private:
    Status(Code code, std::string msg) : m_code(code), m_message(std::move(msg)) {}
    Code m_code = Code::Ok;
    std::string m_message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::move(value)) {}
    Result(Status status) : m_data(std::move(status)) { assert(!std::get<Status>(m_data).isOk()); }

    bool isOk() const { return std::holds_alternative<T>(m_data); }
    explicit operator bool() const { return isOk(); }
    const T &value() const & { return std::get<T>(m_data); }
    T &value() & { return std::get<T>(m_data); }
    T &&value() && { return std::get<T>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T &operator*() & { return value(); }
    const T *operator->() const { return &value(); }
    T *operator->() { return &value(); }
    Status status() const { return isOk() ? Status::ok() : std::get<Status>(m_data); }

private:
    std::variant<T, Status> m_data;
};

} // namespace tally
