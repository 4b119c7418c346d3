// The PostgreSQL server of the postgres_server CTest fixture (tests/postgres_fixture.cmake): its
// address, a fresh database per test, and stopping and starting it with scripts/postgres/pg.sh.
#pragma once

#include <QString>

#include <string>

namespace tally::test {

// The fixture's server folder ($TALLY_POSTGRES_DIR); empty outside ctest.
QString postgresServerDir();
// The server's URL of its database tally (the folder's url file); fails the process outside ctest.
std::string postgresBaseUrl();
// Runs scripts/postgres/pg.sh COMMAND with the server's folder ("stop", "start", "kill"); true if
// it succeeded.
bool postgresServerScript(const QString &command);
// A fresh, empty database NAME on the server (dropped first if it exists); returns its URL.
std::string freshPostgresDatabase(const std::string &name);

} // namespace tally::test
