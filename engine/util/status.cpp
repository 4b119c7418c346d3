#include "util/status.h"

namespace tally {

std::string Status::toString() const
{
    static constexpr const char *kNames[] = {"OK", "Invalid argument", "Not found", "I/O error",
                                             "Corruption", "Unavailable", "Aborted", "Internal", "Unimplemented"};
    std::string s = kNames[static_cast<int>(m_code)];
    if (!m_message.empty())
        s += ": " + m_message;
    return s;
}

} // namespace tally
