#include "runtime/control_channel.h"

namespace tally {

std::future<Status> SourceControl::submit(SourceCommand command)
{
    std::lock_guard lock(m_mutex);
    std::promise<Status> p;
    auto f = p.get_future();
    if (m_closed)
        p.set_value(Status::aborted(*m_closed));
    else
        m_mail.commands.push_back({command, std::move(p)});
    return f;
}

void SourceControl::commitPositions(std::vector<int64_t> nextOffsets)
{
    std::lock_guard lock(m_mutex);
    if (!m_closed)
        m_mail.commit = std::move(nextOffsets);
}

SourceControl::Mail SourceControl::take()
{
    std::lock_guard lock(m_mutex);
    Mail out;
    std::swap(out, m_mail);
    return out;
}

void SourceControl::close(const std::string &why)
{
    std::lock_guard lock(m_mutex);
    m_closed = why;
    for (auto &r : m_mail.commands)
        r.done.set_value(Status::aborted(why));
    m_mail = {};
}

} // namespace tally
